// `mawjly key fingerprint`: the fingerprint of an encryption master key, computed locally, so a
// customer can check which key they deployed. The key is read from MAWJLY_ENCRYPTION_KEY or stdin
// (never an argument: arguments end up in shell history) and never echoed.
import { encryptionKeyFingerprint, parseEncryptionKeyBase64 } from '../../management/encryption-key.js';
import { UsageError, type Command, type CommandIo } from './command.js';
import { parse, writeJson } from './open-management.js';

const usage = `Usage:
  mawjly key fingerprint [--json]

Prints the fingerprint of an encryption master key (base64, 32 bytes), read from the
MAWJLY_ENCRYPTION_KEY environment variable or else from stdin. It matches the fingerprint the
dashboard and GET /api/v1/apps/{id}/encryption-key show for that key.
`;

async function readStdin(io: CommandIo): Promise<string> {
  let text = '';
  for await (const chunk of io.stdin as AsyncIterable<Buffer | string>) {
    text += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    if (text.includes('\n') || text.length > 4096) break;
  }
  return text;
}

export const keyCommand: Command = {
  name: 'key',
  summary: 'compute the fingerprint of an encryption master key',
  usage,
  async run(args, io) {
    const { values, positionals } = parse(args, { json: { type: 'boolean' } });
    const [sub, ...rest] = positionals;
    if (sub !== 'fingerprint') {
      throw new UsageError(sub === undefined ? 'missing sub-command' : `unknown sub-command '${sub}'`);
    }
    if (rest.length > 0) {
      throw new UsageError('the key is never an argument: set MAWJLY_ENCRYPTION_KEY or pipe it on stdin');
    }
    const fromEnv = io.env.MAWJLY_ENCRYPTION_KEY;
    const text = fromEnv !== undefined && fromEnv !== '' ? fromEnv : await readStdin(io);
    const key = parseEncryptionKeyBase64(text);
    const fingerprint = encryptionKeyFingerprint(key);
    key.fill(0);
    if (values.json === true) writeJson(io, { fingerprint });
    else io.stdout.write(`${fingerprint}\n`);
    return 0;
  },
};
