// The per-app `history` setting (docs/history.md): plan-gated (Pro and Business), bounded by the
// plan's ceiling, off by default; what the engine applies; the plan table shows the ceilings.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startManagementHarness, type ManagementHarness } from '../support/management-harness.js';

function assertError(res: { status: number; json: unknown }, status: number, code: string): string {
  assert.equal(res.status, status, JSON.stringify(res.json));
  const body = res.json as { error?: { code?: unknown; message?: unknown } };
  assert.equal(body.error?.code, code);
  return String(body.error.message);
}

describe('history setting (management API)', () => {
  let h: ManagementHarness;
  before(async () => {
    h = await startManagementHarness('sqlite');
  });
  after(async () => {
    await h.close();
  });

  test('plans show their history ceilings; Free and Startup have none', async () => {
    const { token } = await h.account('pro');
    const plans = (await h.request('GET', '/api/v1/plans', { token })).json.plans as {
      name: string;
      history: unknown;
    }[];
    assert.deepEqual(Object.fromEntries(plans.map((p) => [p.name, p.history])), {
      free: null,
      startup: null,
      pro: { max_events: 100, max_age_seconds: 120 },
      business: { max_events: 1000, max_age_seconds: 3600 },
    });
  });

  test('off by default; a Pro app turns it on within the ceiling, and the engine sees it', async () => {
    const { token } = await h.account('pro');
    const app = await h.request('POST', '/api/v1/apps', { token, body: { name: 'h' } });
    assert.equal(app.status, 201);
    assert.equal(app.json.settings.history, null);
    const on = await h.request('PATCH', `/api/v1/apps/${app.json.id}`, {
      token,
      body: { settings: { history: { max_events: 50, max_age_seconds: 60 } } },
    });
    assert.equal(on.status, 200, JSON.stringify(on.json));
    assert.deepEqual(on.json.settings.history, { max_events: 50, max_age_seconds: 60 });
    assert.deepEqual(h.management.directory.findById(app.json.id)?.settings.history, {
      maxEvents: 50,
      maxAgeMs: 60_000,
    });
    const beyond = await h.request('PATCH', `/api/v1/apps/${app.json.id}`, {
      token,
      body: { settings: { history: { max_events: 101, max_age_seconds: 60 } } },
    });
    assert.match(
      assertError(beyond, 422, 'validation_failed'),
      /the pro plan keeps at most 100 events for 120 seconds per channel/,
    );
    const malformed = await h.request('PATCH', `/api/v1/apps/${app.json.id}`, {
      token,
      body: { settings: { history: { max_events: 0 } } },
    });
    assert.equal(malformed.status >= 400 && malformed.status < 500, true);
    const offAgain = await h.request('PATCH', `/api/v1/apps/${app.json.id}`, {
      token,
      body: { settings: { history: null } },
    });
    assert.equal(offAgain.json.settings.history, null);
    assert.equal(h.management.directory.findById(app.json.id)?.settings.history, null);
  });

  test('refused on a plan without history; a downgrade switches it off in the engine', async () => {
    const { account, token } = await h.account('startup');
    const app = await h.request('POST', '/api/v1/apps', { token, body: { name: 's' } });
    const refused = await h.request('PATCH', `/api/v1/apps/${app.json.id}`, {
      token,
      body: { settings: { history: { max_events: 10, max_age_seconds: 10 } } },
    });
    assert.match(
      assertError(refused, 403, 'plan_feature_unavailable'),
      /Channel history is not available on the startup plan; upgrade to Pro or Business/,
    );
    await h.management.accounts.setPlan(account.id, 'business', 'test');
    await h.request('PATCH', `/api/v1/apps/${app.json.id}`, {
      token,
      body: { settings: { history: { max_events: 1000, max_age_seconds: 3600 } } },
    });
    assert.deepEqual(h.management.directory.findById(app.json.id)?.settings.history, {
      maxEvents: 1000,
      maxAgeMs: 3_600_000,
    });
    // Down to Pro: clamped to Pro's ceiling; down to Startup: off.
    await h.management.accounts.setPlan(account.id, 'pro', 'test');
    assert.deepEqual(h.management.directory.findById(app.json.id)?.settings.history, {
      maxEvents: 100,
      maxAgeMs: 120_000,
    });
    await h.management.accounts.setPlan(account.id, 'startup', 'test');
    assert.equal(h.management.directory.findById(app.json.id)?.settings.history, null);
  });
});
