// End to end with the official TypeScript SDK: the SDK talks to
// `hush proxy`, the proxy to `hush mock-upstream`, all on loopback
// (tests/sdk/run.sh starts both and sets HUSH_PROXY_URL and HUSH_MOCK_URL).
//
// Every test checks both directions: no original value is in any body
// the mock recorded, and the SDK handed the originals back. The SDK's own
// MessageStream consumes the proxy's streams, so any event it refuses
// (order, shape, a partial tool JSON that is not a valid prefix) fails
// the test.

import { test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';

const PROXY = process.env.HUSH_PROXY_URL.replace(/\/+$/, '');
const MOCK = process.env.HUSH_MOCK_URL.replace(/\/+$/, '');

const EMAIL = 'jane.roe@acme-mail.io';
const PHONE = '+44 20 7946 0958';
const CARD = '4111 1111 1111 1111';
// Originals and pieces of them that must never reach the upstream.
const ORIGINALS = [EMAIL, PHONE, CARD, 'jane.roe', 'acme-mail', '7946 0958', '4111111111111111'];
const PROMPT = `Please email ${EMAIL} or call ${PHONE}; card ${CARD}.`;
const KEY = 'sk-ant-sdk-node-test';
// The mock serves any model; this one is in no SDK's deprecation list.
const MODEL = 'claude-mock-1';
const NOTE = 'quote " and backslash \\ stay escaped';
// A pseudonym as the proxy writes it: [[EMAIL-123456]].
const TAG = /\[\[[A-Z][A-Z0-9_]*-[^[\]\s]+\]\]/g;
const TOOLS = [
  {
    name: 'lookup_customer',
    description: `Look up a customer by e-mail, such as ${EMAIL}.`,
    input_schema: {
      type: 'object',
      properties: {
        query: { type: 'string', description: 'what to look for' },
        note: { type: 'string' },
      },
      required: ['query'],
    },
  },
];

const tags = (s) => s.match(TAG) ?? [];
const user = (text) => [{ role: 'user', content: text }];
const said = (text) => `You said: ${text}`;

async function mock(method) {
  const r = await fetch(`${MOCK}/_mock/requests`, { method });
  assert.equal(r.status, 200);
  return r.json();
}
const bodies = () => mock('GET');
const parsed = async () => (await bodies()).map((b) => JSON.parse(b));

// Request headers as the SDK sent them.
let sent = [];
function client(opts = {}) {
  return new Anthropic({
    baseURL: PROXY,
    apiKey: KEY,
    maxRetries: 0,
    fetch: (url, init) => {
      sent.push({ url: String(url), headers: new Headers(init?.headers) });
      return fetch(url, init);
    },
    ...opts,
  });
}

beforeEach(async () => {
  sent = [];
  await mock('DELETE');
});

afterEach(async () => {
  const seen = await bodies();
  assert.ok(seen.length > 0, 'the mock saw no request');
  for (const body of seen) {
    for (const v of ORIGINALS) {
      assert.ok(!body.includes(v), `an original value (${v}) reached the upstream`);
    }
  }
});

test('create: sends its API version and restores the answer', async () => {
  const { data: msg, response } = await client()
    .messages.create({ model: MODEL, max_tokens: 64, messages: user(PROMPT) })
    .withResponse();
  assert.equal(response.headers.get('request-id'), 'req_mock');
  assert.equal(msg.content[0].text, said(PROMPT));
  assert.equal(msg.stop_reason, 'end_turn');
  const version = sent[0].headers.get('anthropic-version');
  assert.ok(['2023-06-01', '2026-10-21'].includes(version), `version ${version}`);
  assert.ok(sent[0].headers.get('authorization') || sent[0].headers.get('x-api-key'));
  const [body] = await parsed();
  assert.equal(tags(body.messages[0].content).length, 3);
});

test('the other API version and the other auth header pass through', async () => {
  const c = client();
  await c.messages.create({ model: MODEL, max_tokens: 8, messages: user('hi') });
  const own = sent[0].headers.get('anthropic-version');
  const other = own === '2026-10-21' ? '2023-06-01' : '2026-10-21';
  const ownAuthIsBearer = Boolean(sent[0].headers.get('authorization'));
  const headers = ownAuthIsBearer
    ? { 'anthropic-version': other, authorization: null, 'x-api-key': KEY }
    : { 'anthropic-version': other, 'x-api-key': null, authorization: `Bearer ${KEY}` };
  sent = [];
  const msg = await c.messages.create({ model: MODEL, max_tokens: 64, messages: user(PROMPT) }, { headers });
  assert.equal(sent[0].headers.get('anthropic-version'), other);
  assert.equal(Boolean(sent[0].headers.get('authorization')), !ownAuthIsBearer);
  assert.equal(msg.content[0].text, said(PROMPT));
  const s = c.messages.stream({ model: MODEL, max_tokens: 64, messages: user(PROMPT) }, { headers });
  assert.equal((await s.finalMessage()).content[0].text, said(PROMPT));
});

for (let seed = 1; seed <= 8; seed++) {
  test(`messages.stream: text and finalMessage (seed ${seed})`, async () => {
    const s = client().messages.stream(
      { model: MODEL, max_tokens: 64, messages: user(PROMPT) },
      { headers: { 'x-mock-seed': String(seed) } },
    );
    let text = '';
    s.on('text', (delta) => {
      text += delta;
    });
    const final = await s.finalMessage();
    assert.equal(text, said(PROMPT));
    assert.equal(final.content[0].text, said(PROMPT));
    assert.equal(final.stop_reason, 'end_turn');
  });

  test(`messages.stream: every event and the tool input (seed ${seed})`, async () => {
    const s = client().messages.stream(
      { model: MODEL, max_tokens: 64, tools: TOOLS, messages: user(PROMPT) },
      { headers: { 'x-mock-seed': String(seed) } },
    );
    const snapshots = [];
    // The listener makes the stream parse the partial JSON on every delta.
    s.on('inputJson', (_delta, snapshot) => snapshots.push(JSON.stringify(snapshot)));
    const kinds = [];
    for await (const event of s) kinds.push(event.type);
    const final = await s.finalMessage();
    assert.equal(kinds[0], 'message_start');
    assert.equal(kinds.at(-1), 'message_stop');
    assert.equal(final.stop_reason, 'tool_use');
    assert.equal(final.content[0].text, 'Let me look that up.');
    const tool = final.content[1];
    assert.equal(tool.type, 'tool_use');
    assert.equal(tool.name, 'lookup_customer');
    assert.deepEqual(tool.input, { query: PROMPT, note: NOTE });
    assert.ok(snapshots.length > 0);
    assert.deepEqual(JSON.parse(snapshots.at(-1)), tool.input);
    assert.ok(!snapshots.some((x) => tags(x).length), 'a pseudonym reached the client');
  });
}

for (const withTools of [false, true]) {
  test(`create({stream: true}): raw events${withTools ? ' with tool input' : ''}`, async () => {
    const extra = withTools ? { tools: TOOLS } : {};
    const stream = await client().messages.create({
      model: MODEL,
      max_tokens: 64,
      messages: user(PROMPT),
      stream: true,
      ...extra,
    });
    const kinds = [];
    const blocks = {};
    for await (const event of stream) {
      kinds.push(event.type);
      if (event.type === 'content_block_start') blocks[event.index] = [event.content_block.type, ''];
      if (event.type === 'content_block_delta') {
        const d = event.delta;
        blocks[event.index][1] += d.type === 'text_delta' ? d.text : d.partial_json;
      }
    }
    assert.equal(kinds[0], 'message_start');
    assert.equal(kinds.at(-1), 'message_stop');
    assert.ok(kinds.includes('message_delta'));
    if (withTools) {
      assert.deepEqual(blocks[0], ['text', 'Let me look that up.']);
      assert.equal(blocks[1][0], 'tool_use');
      assert.deepEqual(JSON.parse(blocks[1][1]), { query: PROMPT, note: NOTE });
    } else {
      assert.deepEqual(blocks, { 0: ['text', said(PROMPT)] });
    }
    const [body] = await parsed();
    assert.equal(body.stream, true);
    assert.equal(tags(body.messages[0].content).length, 3);
  });
}

async function turn(c, stream, params) {
  const p = { model: MODEL, max_tokens: 64, ...params };
  if (!stream) return c.messages.create(p);
  return c.messages.stream(p).finalMessage();
}

for (const stream of [false, true]) {
  test(`tool use round trip (${stream ? 'streamed' : 'not streamed'})`, async () => {
    const c = client();
    const first = await turn(c, stream, { tools: TOOLS, messages: user(PROMPT) });
    assert.equal(first.stop_reason, 'tool_use');
    const tool = first.content.find((b) => b.type === 'tool_use');
    assert.equal(tool.input.query, PROMPT);
    const result = `Customer found: ${EMAIL}, phone ${PHONE}, card on file ${CARD}.`;
    const history = [
      { role: 'user', content: PROMPT },
      { role: 'assistant', content: first.content },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: tool.id, content: result }] },
    ];
    const second = await turn(c, stream, { tools: TOOLS, messages: history });
    assert.equal(second.stop_reason, 'end_turn');
    assert.equal(second.content[0].text, said(result));

    const [b0, b1] = await parsed();
    const redactedPrompt = b0.messages[0].content;
    assert.equal(tags(redactedPrompt).length, 3);
    assert.equal(tags(b0.tools[0].description).length, 1);
    // The restored tool_use input goes back upstream as it first left.
    assert.equal(b1.messages[0].content, redactedPrompt);
    const sentBack = b1.messages[1].content.find((b) => b.type === 'tool_use');
    assert.equal(sentBack.id, tool.id);
    assert.equal(sentBack.input.query, redactedPrompt);
    assert.equal(sentBack.input.note, NOTE);
    // The tool result's values get the pseudonyms the first turn issued.
    const tr = b1.messages[2].content[0];
    assert.equal(tr.tool_use_id, tool.id);
    const content = typeof tr.content === 'string' ? tr.content : tr.content.map((x) => x.text).join('');
    assert.deepEqual(tags(content), tags(redactedPrompt));
  });

  test(`multi-turn: re-sent history keeps its pseudonyms (${stream ? 'streamed' : 'not streamed'})`, async () => {
    const c = client();
    const first = await turn(c, stream, { messages: user(PROMPT) });
    assert.equal(first.content[0].text, said(PROMPT));
    const again = `And again: ${EMAIL}`;
    const history = [
      { role: 'user', content: PROMPT },
      { role: 'assistant', content: first.content },
      { role: 'user', content: again },
    ];
    const second = await turn(c, stream, { messages: history });
    assert.equal(second.content[0].text, said(again));
    // The same first turn again: byte-identical upstream (prompt caching).
    await turn(c, stream, { messages: user(PROMPT) });

    const raw = await bodies();
    assert.equal(raw.length, 3);
    assert.equal(raw[0], raw[2], 'identical requests must be byte-identical upstream');
    const [b0, b1] = raw.slice(0, 2).map((b) => JSON.parse(b));
    assert.deepEqual(b1.messages[0], b0.messages[0]);
    const redactedPrompt = b0.messages[0].content;
    const a = b1.messages[1].content;
    const assistantText = typeof a === 'string' ? a : a.map((b) => b.text ?? '').join('');
    // The values of the first turn go back with the same pseudonyms. (The
    // words around them are detection's business: the echo's "You said:"
    // may be pseudonymised too, so only the end is compared.)
    assert.ok(assistantText.endsWith(`: ${redactedPrompt}`), assistantText);
    assert.deepEqual(tags(assistantText).slice(-3), tags(redactedPrompt));
    const [tag, ...rest] = tags(b1.messages[2].content);
    assert.equal(rest.length, 0);
    assert.equal(b1.messages[2].content, `And again: ${tag}`);
    assert.ok(redactedPrompt.includes(tag));
  });
}

test('count_tokens', async () => {
  const n = await client().messages.countTokens({
    model: MODEL,
    system: `The customer is ${EMAIL}.`,
    messages: user(PROMPT),
    tools: TOOLS,
  });
  assert.ok(n.input_tokens > 0);
  const [body] = await parsed();
  assert.equal(body.max_tokens, undefined);
  assert.equal(tags(body.messages[0].content).length, 3);
  const system = typeof body.system === 'string' ? body.system : JSON.stringify(body.system);
  assert.equal(tags(system).length, 1);
});

test('batches: create, retrieve, list, results through the proxy', async () => {
  const c = client();
  const only = `only ${EMAIL}`;
  const batch = await c.messages.batches.create({
    requests: [
      { custom_id: 'a', params: { model: MODEL, max_tokens: 64, messages: user(PROMPT) } },
      { custom_id: 'b', params: { model: MODEL, max_tokens: 64, messages: user(only) } },
      { custom_id: 'c', params: { model: MODEL, max_tokens: 64, tools: TOOLS, messages: user(PHONE) } },
    ],
  });
  assert.ok(batch.results_url.startsWith(`${PROXY}/v1/`), 'results_url must point at the proxy');
  const got = await c.messages.batches.retrieve(batch.id);
  assert.equal(got.processing_status, 'ended');
  assert.ok(got.results_url.startsWith(`${PROXY}/v1/`));
  let listed = null;
  for await (const b of c.messages.batches.list()) if (b.id === batch.id) listed = b;
  assert.ok(listed?.results_url.startsWith(`${PROXY}/v1/`));

  const results = {};
  for await (const r of await c.messages.batches.results(batch.id)) results[r.custom_id] = r.result;
  assert.deepEqual(Object.keys(results).sort(), ['a', 'b', 'c']);
  for (const r of Object.values(results)) assert.equal(r.type, 'succeeded');
  assert.equal(results.a.message.content[0].text, said(PROMPT));
  assert.equal(results.b.message.content[0].text, said(only));
  assert.deepEqual(results.c.message.content[1].input, { query: PHONE, note: NOTE });
  assert.ok(
    sent.some((s) => s.url.startsWith(`${PROXY}/v1/messages/batches/${batch.id}/results`)),
    'the results were fetched from the proxy',
  );

  const [body] = await parsed();
  const params = body.requests.map((r) => r.params);
  assert.equal(tags(params[0].messages[0].content).length, 3);
  assert.equal(tags(params[1].messages[0].content).length, 1);
});

test('beta messages, stream, count_tokens and batches; models', async () => {
  const c = client();
  const beta = 'fine-grained-tool-streaming-2025-05-14';
  const msg = await c.beta.messages.create({ model: MODEL, max_tokens: 64, messages: user(PROMPT), betas: [beta] });
  assert.equal(sent[0].headers.get('anthropic-beta'), beta);
  assert.equal(msg.content[0].text, said(PROMPT));
  const s = c.beta.messages.stream({ model: MODEL, max_tokens: 64, tools: TOOLS, messages: user(PROMPT), betas: [beta] });
  s.on('inputJson', () => {});
  const kinds = [];
  for await (const event of s) kinds.push(event.type);
  assert.equal(kinds[0], 'message_start');
  assert.equal(kinds.at(-1), 'message_stop');
  assert.deepEqual((await s.finalMessage()).content[1].input, { query: PROMPT, note: NOTE });
  assert.ok((await c.beta.messages.countTokens({ model: MODEL, messages: user(PROMPT) })).input_tokens > 0);
  const batch = await c.beta.messages.batches.create({
    requests: [{ custom_id: 'a', params: { model: MODEL, max_tokens: 64, messages: user(PROMPT) } }],
  });
  assert.ok(batch.results_url.startsWith(`${PROXY}/v1/`));
  const lines = [];
  for await (const r of await c.beta.messages.batches.results(batch.id)) lines.push(r);
  assert.equal(lines.length, 1);
  assert.equal(lines[0].result.message.content[0].text, said(PROMPT));
  const models = [];
  for await (const m of c.models.list()) models.push(m.id);
  assert.deepEqual(models, ['claude-mock-1']);
  for (const body of await bodies()) assert.ok(tags(body).length > 0, 'nothing was pseudonymised');
});

for (let seed = 1; seed <= 4; seed++) {
  test(`non-ASCII around the values (seed ${seed})`, async () => {
    // Multi-byte characters next to the values: the mock cuts its stream
    // at random byte offsets, inside UTF-8 sequences too.
    const text = `Grüße an ${EMAIL} — 📞 ${PHONE}, Karte ${CARD} ✓ 日本語`;
    const c = client();
    const headers = { 'x-mock-seed': String(seed) };
    const msg = await c.messages.create({ model: MODEL, max_tokens: 64, messages: user(text) });
    assert.equal(msg.content[0].text, said(text));
    const s = c.messages.stream({ model: MODEL, max_tokens: 64, tools: TOOLS, messages: user(text) }, { headers });
    s.on('inputJson', () => {});
    const final = await s.finalMessage();
    assert.deepEqual(final.content[1].input, { query: text, note: NOTE });
    let streamed = '';
    const t = c.messages.stream({ model: MODEL, max_tokens: 64, messages: user(text) }, { headers });
    t.on('text', (d) => {
      streamed += d;
    });
    await t.finalMessage();
    assert.equal(streamed, said(text));
    const [first] = await parsed();
    assert.ok(tags(first.messages[0].content).length >= 3);
  });
}

test('a 429 passes through with its headers and wording', async () => {
  const err = await client()
    .messages.create(
      { model: MODEL, max_tokens: 64, messages: user(PROMPT) },
      { headers: { 'x-mock-fail': '429' }, maxRetries: 0 },
    )
    .then(
      () => assert.fail('expected a RateLimitError'),
      (e) => e,
    );
  assert.ok(err instanceof Anthropic.RateLimitError, `got ${err?.constructor?.name}: ${err}`);
  assert.equal(err.status, 429);
  assert.equal(err.headers.get('retry-after'), '1');
  assert.equal(err.headers.get('retry-after-ms'), '1');
  assert.equal(err.headers.get('anthropic-ratelimit-requests-remaining'), '0');
  assert.equal(err.error.error.type, 'rate_limit_error');
  assert.equal(err.error.error.message, 'Number of request tokens has exceeded your per-minute rate limit');
  assert.equal((await bodies()).length, 1);
});

test("the SDK's retries go through the proxy, and a 529 passes through", async () => {
  await assert.rejects(
    client({ maxRetries: 2 }).messages.create(
      { model: MODEL, max_tokens: 64, messages: user(PROMPT) },
      { headers: { 'x-mock-fail': '429' } },
    ),
    Anthropic.RateLimitError,
  );
  const seen = await bodies();
  assert.equal(seen.length, 3);
  assert.equal(new Set(seen).size, 1);
  const err = await client()
    .messages.create(
      { model: MODEL, max_tokens: 64, messages: user(PROMPT) },
      { headers: { 'x-mock-fail': '529' } },
    )
    .catch((e) => e);
  assert.ok(err instanceof Anthropic.APIError);
  assert.equal(err.status, 529);
  assert.equal(err.error.error.type, 'overloaded_error');
});

test('a mid-stream error event surfaces as an APIError (raw events)', async () => {
  const stream = await client().messages.create(
    { model: MODEL, max_tokens: 64, messages: user(PROMPT), stream: true },
    { headers: { 'x-mock-fail': 'stream-error' } },
  );
  const kinds = [];
  const err = await (async () => {
    for await (const event of stream) kinds.push(event.type);
  })().then(
    () => assert.fail('expected the stream to throw'),
    (e) => e,
  );
  assert.ok(err instanceof Anthropic.APIError, `got ${err}`);
  assert.equal(err.error.error.type, 'overloaded_error');
  assert.equal(err.error.error.message, 'Overloaded');
  assert.equal(kinds[0], 'message_start');
  assert.ok(!kinds.includes('message_stop'));
});

test('a mid-stream error event surfaces from messages.stream', async () => {
  const s = client().messages.stream(
    { model: MODEL, max_tokens: 64, messages: user(PROMPT) },
    { headers: { 'x-mock-fail': 'stream-error' } },
  );
  let text = '';
  s.on('text', (d) => {
    text += d;
  });
  const err = await s.finalMessage().then(
    () => assert.fail('expected finalMessage to reject'),
    (e) => e,
  );
  assert.ok(err instanceof Anthropic.APIError, `got ${err}`);
  assert.match(String(err.message), /overloaded_error|Overloaded/);
  assert.ok(said(PROMPT).startsWith(text));
});

test('a stream without content_block_stop is accepted', async () => {
  const s = client().messages.stream(
    { model: MODEL, max_tokens: 64, messages: user(PROMPT) },
    { headers: { 'x-mock-fail': 'no-block-stop' } },
  );
  let text = '';
  s.on('text', (d) => {
    text += d;
  });
  const final = await s.finalMessage();
  assert.equal(text, said(PROMPT));
  assert.equal(final.content[0].text, said(PROMPT));
});

test('a truncated stream gives a restored prefix', async () => {
  // The upstream ends the body halfway (no message_stop): the client gets
  // what came, restored, and never a pseudonym or a piece of one. The
  // seeds move the cut; some fall inside a pseudonym.
  const c = client();
  for (let seed = 1; seed <= 48; seed++) {
    const s = c.messages.stream(
      { model: MODEL, max_tokens: 64, messages: user(PROMPT) },
      { headers: { 'x-mock-fail': 'drop', 'x-mock-seed': String(seed) } },
    );
    let text = '';
    s.on('text', (d) => {
      text += d;
    });
    await s.done().catch(() => {});
    assert.ok(text.length > 0 && said(PROMPT).startsWith(text), `seed ${seed}: ${text}`);
    assert.ok(!text.includes('['), `seed ${seed}: ${text}`);
  }
});

test('concurrent streams keep their own values', async () => {
  const c = client();
  const results = await Promise.all(
    Array.from({ length: 16 }, async (_, i) => {
      const text = `Ticket ${i}: write to user${i}.smith@acme-mail.io, card ${CARD}`;
      const s = c.messages.stream(
        { model: MODEL, max_tokens: 64, messages: user(text) },
        { headers: { 'x-mock-seed': String(i + 1) } },
      );
      let streamed = '';
      s.on('text', (d) => {
        streamed += d;
      });
      await s.finalMessage();
      return [text, streamed];
    }),
  );
  for (const [text, streamed] of results) assert.equal(streamed, said(text));
  assert.equal((await bodies()).length, 16);
});
