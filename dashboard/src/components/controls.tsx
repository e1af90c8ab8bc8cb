// Shared controls (error note, loading, confirmation dialog, copy button, toggle, meter). Dialogs use the native <dialog> (focus trap, Escape to cancel, returns focus).
import type { ComponentChildren, JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { errorMessage } from '../api.js';

export function ErrorNote({ error }: { error: unknown }): JSX.Element | null {
  if (error === undefined || error === null) return null;
  return (
    <p class="note error" role="alert">
      {errorMessage(error)}
    </p>
  );
}

export function Loading({ label = 'Loading…' }: { label?: string }): JSX.Element {
  return (
    <p class="muted" role="status" aria-live="polite">
      {label}
    </p>
  );
}

interface ConfirmDialogProps {
  open: boolean;
  title: string;
  confirmLabel: string;
  danger?: boolean;
  busy?: boolean;
  /** Confirm is not possible yet (e.g. a name to type in the body does not match). */
  disabled?: boolean;
  /** When set, the user must tick this statement before confirming. */
  acknowledge?: string;
  onConfirm: () => void;
  onCancel: () => void;
  children: ComponentChildren;
}

export function ConfirmDialog(props: ConfirmDialogProps): JSX.Element {
  const ref = useRef<HTMLDialogElement>(null);
  const [ack, setAck] = useState(false);
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (props.open && !dialog.open) {
      setAck(false);
      dialog.showModal();
    } else if (!props.open && dialog.open) {
      dialog.close();
    }
  }, [props.open]);
  const titleId = `dlg-${props.title.replace(/\W+/g, '-').toLowerCase()}`;
  const canConfirm = !props.busy && !props.disabled && (props.acknowledge === undefined || ack);
  return (
    <dialog
      ref={ref}
      aria-labelledby={titleId}
      onCancel={(e) => {
        e.preventDefault();
        props.onCancel();
      }}
    >
      <h2 id={titleId}>{props.title}</h2>
      <div class="dialog-body">{props.children}</div>
      {props.acknowledge !== undefined && (
        <label class="check">
          <input
            type="checkbox"
            checked={ack}
            onChange={(e) => {
              setAck(e.currentTarget.checked);
            }}
          />
          {props.acknowledge}
        </label>
      )}
      <div class="actions">
        <button type="button" class="secondary" onClick={props.onCancel}>
          Cancel
        </button>
        <button
          type="button"
          class={props.danger ? 'danger' : 'primary'}
          disabled={!canConfirm}
          onClick={props.onConfirm}
        >
          {props.busy ? 'Working…' : props.confirmLabel}
        </button>
      </div>
    </dialog>
  );
}

export function CopyButton({ value, label = 'Copy' }: { value: string; label?: string }): JSX.Element {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  const copy = async (): Promise<void> => {
    try {
      await navigator.clipboard.writeText(value);
      setState('copied');
    } catch {
      setState('failed');
    }
  };
  return (
    <span class="copy">
      <button type="button" class="secondary small" onClick={() => void copy()}>
        {label}
      </button>
      <span role="status" aria-live="polite" class="muted small">
        {state === 'copied' ? 'Copied' : state === 'failed' ? 'Copy failed: select the text and copy it' : ''}
      </span>
    </span>
  );
}

interface ToggleProps {
  label: string;
  description?: string;
  checked: boolean;
  disabled?: boolean;
  onChange: (value: boolean) => void;
}

export function Toggle({ label, description, checked, disabled, onChange }: ToggleProps): JSX.Element {
  return (
    <label class="toggle">
      <input
        type="checkbox"
        role="switch"
        checked={checked}
        disabled={disabled}
        onChange={(e) => {
          onChange(e.currentTarget.checked);
        }}
      />
      <span>
        <strong>{label}</strong>
        {description && <span class="muted block">{description}</span>}
      </span>
    </label>
  );
}

export function Meter({
  label,
  used,
  quota,
}: {
  label: string;
  used: number;
  quota: number | null;
}): JSX.Element {
  const pct = quota ? Math.min(100, (used / quota) * 100) : 0;
  return (
    <div class="meter">
      <div class="meter-label">
        <span>{label}</span>
        <span>
          {used.toLocaleString('en-US')} / {quota === null ? 'unlimited' : quota.toLocaleString('en-US')}
        </span>
      </div>
      <progress
        max={100}
        value={pct}
        aria-label={label}
        class={pct >= 100 ? 'over' : pct >= 80 ? 'warn' : ''}
      />
    </div>
  );
}
