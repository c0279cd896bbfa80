"""End to end with the official Python SDK: the SDK talks to `hush proxy`,
the proxy to `hush mock-upstream`, all on loopback (tests/sdk/run.sh
starts both and sets HUSH_PROXY_URL and HUSH_MOCK_URL).

Every test checks both directions: no original value is in any body the
mock recorded, and the SDK handed the originals back. The SDK's own
stream helpers consume the proxy's streams, so any event they refuse
(order, shape, a partial tool JSON that is not a valid prefix) fails
the test.
"""

import asyncio
import json
import os
import re
import urllib.request

import anthropic
import pytest

PROXY = os.environ["HUSH_PROXY_URL"].rstrip("/")
MOCK = os.environ["HUSH_MOCK_URL"].rstrip("/")

EMAIL = "jane.roe@acme-mail.io"
PHONE = "+44 20 7946 0958"
CARD = "4111 1111 1111 1111"
# Originals and pieces of them that must never reach the upstream.
ORIGINALS = (EMAIL, PHONE, CARD, "jane.roe", "acme-mail", "7946 0958", "4111111111111111")
PROMPT = f"Please email {EMAIL} or call {PHONE}; card {CARD}."
KEY = "sk-ant-sdk-python-test"
# The mock serves any model; this one is in no SDK's deprecation list.
MODEL = "claude-mock-1"
NOTE = 'quote " and backslash \\ stay escaped'
# A pseudonym as the proxy writes it: [[EMAIL-123456]].
TAG = re.compile(r"\[\[[A-Z][A-Z0-9_]*-[^\[\]\s]+\]\]")
TOOLS = [
    {
        "name": "lookup_customer",
        "description": f"Look up a customer by e-mail, such as {EMAIL}.",
        "input_schema": {
            "type": "object",
            "properties": {
                "query": {"type": "string", "description": "what to look for"},
                "note": {"type": "string"},
            },
            "required": ["query"],
        },
    }
]


def _mock(method):
    req = urllib.request.Request(f"{MOCK}/_mock/requests", method=method)
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())


class Upstream:
    """What the mock upstream received during one test."""

    def bodies(self):
        return _mock("GET")

    def parsed(self):
        return [json.loads(b) for b in self.bodies()]


@pytest.fixture
def upstream():
    """Clears the mock's record; after the test, checks every body it got."""
    _mock("DELETE")
    up = Upstream()
    yield up
    bodies = up.bodies()
    assert bodies, "the mock saw no request"
    for body in bodies:
        for value in ORIGINALS:
            assert value not in body, f"an original value ({value!r}) reached the upstream"


def client(**kw):
    kw.setdefault("max_retries", 0)
    return anthropic.Anthropic(base_url=PROXY, api_key=KEY, **kw)


def user(text):
    return [{"role": "user", "content": text}]


def said(text):
    return f"You said: {text}"


def tags(text):
    return TAG.findall(text)


def test_create_sends_the_new_version_and_bearer_and_restores(upstream):
    raw = client().messages.with_raw_response.create(model=MODEL, max_tokens=64, messages=user(PROMPT))
    assert raw.http_request.headers["anthropic-version"] == "2026-10-21"
    assert raw.http_request.headers["authorization"] == f"Bearer {KEY}"
    assert raw.headers["request-id"] == "req_mock"
    msg = raw.parse()
    assert msg.content[0].text == said(PROMPT)
    assert msg.stop_reason == "end_turn"
    (body,) = upstream.parsed()
    assert len(tags(body["messages"][0]["content"])) == 3


def test_old_api_version_and_x_api_key_pass_through(upstream, monkeypatch):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.delenv("ANTHROPIC_AUTH_TOKEN", raising=False)
    c = anthropic.Anthropic(
        base_url=PROXY,
        max_retries=0,
        default_headers={"X-Api-Key": KEY, "anthropic-version": "2023-06-01"},
    )
    raw = c.messages.with_raw_response.create(model=MODEL, max_tokens=64, messages=user(PROMPT))
    assert raw.http_request.headers["anthropic-version"] == "2023-06-01"
    assert raw.http_request.headers["x-api-key"] == KEY
    assert raw.parse().content[0].text == said(PROMPT)
    with c.messages.stream(model=MODEL, max_tokens=64, messages=user(PROMPT)) as s:
        assert "".join(s.text_stream) == said(PROMPT)


@pytest.mark.parametrize("seed", range(1, 9))
def test_stream_helper_text(upstream, seed):
    with client().messages.stream(
        model=MODEL, max_tokens=64, messages=user(PROMPT), extra_headers={"x-mock-seed": str(seed)}
    ) as s:
        text = "".join(s.text_stream)
        final = s.get_final_message()
    assert text == said(PROMPT)
    assert final.content[0].text == said(PROMPT)
    assert final.stop_reason == "end_turn"


@pytest.mark.parametrize("seed", range(1, 9))
def test_stream_helper_events_with_tool_input(upstream, seed):
    kinds = []
    snapshots = []
    with client().messages.stream(
        model=MODEL,
        max_tokens=64,
        tools=TOOLS,
        messages=user(PROMPT),
        extra_headers={"x-mock-seed": str(seed)},
    ) as s:
        for event in s:
            kinds.append(event.type)
            if event.type == "input_json":
                # The helper re-parses the accumulated partial JSON on
                # every delta: it must stay a valid prefix throughout.
                snapshots.append(event.snapshot)
        final = s.get_final_message()
    assert kinds[0] == "message_start"
    assert kinds[-1] == "message_stop"
    assert "input_json" in kinds and "text" in kinds
    assert final.stop_reason == "tool_use"
    assert final.content[0].text == "Let me look that up."
    tool = final.content[1]
    assert tool.type == "tool_use" and tool.name == "lookup_customer"
    assert tool.input == {"query": PROMPT, "note": NOTE}
    assert snapshots[-1] == tool.input
    assert not any(tags(json.dumps(x)) for x in snapshots), "a pseudonym reached the client"


@pytest.mark.parametrize("with_tools", [False, True])
def test_raw_stream_events(upstream, with_tools):
    extra = {"tools": TOOLS} if with_tools else {}
    stream = client().messages.create(model=MODEL, max_tokens=64, messages=user(PROMPT), stream=True, **extra)
    kinds = []
    blocks = {}
    for event in stream:
        kinds.append(event.type)
        if event.type == "content_block_start":
            blocks[event.index] = [event.content_block.type, ""]
        elif event.type == "content_block_delta":
            d = event.delta
            blocks[event.index][1] += d.text if d.type == "text_delta" else d.partial_json
    assert kinds[0] == "message_start"
    assert kinds[-1] == "message_stop"
    assert "message_delta" in kinds
    if with_tools:
        assert blocks[0] == ["text", "Let me look that up."]
        assert blocks[1][0] == "tool_use"
        assert json.loads(blocks[1][1]) == {"query": PROMPT, "note": NOTE}
    else:
        assert blocks == {0: ["text", said(PROMPT)]}
    (body,) = upstream.parsed()
    assert body["stream"] is True
    assert len(tags(body["messages"][0]["content"])) == 3


def test_async_stream_helper(upstream):
    async def run():
        c = anthropic.AsyncAnthropic(base_url=PROXY, api_key=KEY, max_retries=0)
        async with c.messages.stream(model=MODEL, max_tokens=64, tools=TOOLS, messages=user(PROMPT)) as s:
            text = "".join([t async for t in s.text_stream])
            final = await s.get_final_message()
        await c.close()
        return text, final

    text, final = asyncio.run(run())
    assert text == "Let me look that up."
    assert final.content[1].input == {"query": PROMPT, "note": NOTE}


def _turn(c, stream, **params):
    if not stream:
        return c.messages.create(model=MODEL, max_tokens=64, **params)
    with c.messages.stream(model=MODEL, max_tokens=64, **params) as s:
        for _ in s:
            pass
        return s.get_final_message()


@pytest.mark.parametrize("stream", [False, True])
def test_tool_use_round_trip(upstream, stream):
    c = client()
    first = _turn(c, stream, tools=TOOLS, messages=user(PROMPT))
    assert first.stop_reason == "tool_use"
    tool = next(b for b in first.content if b.type == "tool_use")
    assert tool.input["query"] == PROMPT
    result = f"Customer found: {EMAIL}, phone {PHONE}, card on file {CARD}."
    history = [
        {"role": "user", "content": PROMPT},
        {"role": "assistant", "content": first.content},
        {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": tool.id, "content": result}],
        },
    ]
    second = _turn(c, stream, tools=TOOLS, messages=history)
    assert second.stop_reason == "end_turn"
    assert second.content[0].text == said(result)

    b0, b1 = upstream.parsed()
    redacted_prompt = b0["messages"][0]["content"]
    assert len(tags(redacted_prompt)) == 3
    assert len(tags(b0["tools"][0]["description"])) == 1
    # The restored tool_use input goes back upstream as it first left.
    assert b1["messages"][0]["content"] == redacted_prompt
    sent_back = next(b for b in b1["messages"][1]["content"] if b["type"] == "tool_use")
    assert sent_back["id"] == tool.id
    assert sent_back["input"]["query"] == redacted_prompt
    assert sent_back["input"]["note"] == NOTE
    # The tool result's values get the pseudonyms the first turn issued.
    tool_result = b1["messages"][2]["content"][0]
    assert tool_result["tool_use_id"] == tool.id
    content = tool_result["content"]
    if not isinstance(content, str):
        content = "".join(x["text"] for x in content)
    assert tags(content) == tags(redacted_prompt)


@pytest.mark.parametrize("stream", [False, True])
def test_multi_turn_history_keeps_pseudonyms(upstream, stream):
    c = client()
    first = _turn(c, stream, messages=user(PROMPT))
    assert first.content[0].text == said(PROMPT)
    again = f"And again: {EMAIL}"
    history = [
        {"role": "user", "content": PROMPT},
        {"role": "assistant", "content": first.content},
        {"role": "user", "content": again},
    ]
    second = _turn(c, stream, messages=history)
    assert second.content[0].text == said(again)
    # The same first turn again: byte-identical upstream (prompt caching).
    _turn(c, stream, messages=user(PROMPT))

    raw = upstream.bodies()
    assert len(raw) == 3
    assert raw[0] == raw[2], "identical requests must be byte-identical upstream"
    b0, b1 = json.loads(raw[0]), json.loads(raw[1])
    assert b1["messages"][0] == b0["messages"][0]
    redacted_prompt = b0["messages"][0]["content"]
    assistant = b1["messages"][1]["content"]
    assistant_text = assistant if isinstance(assistant, str) else "".join(b.get("text", "") for b in assistant)
    # The values of the first turn go back with the same pseudonyms. (The
    # words around them are detection's business: the echo's "You said:"
    # may be pseudonymised too, so only the end is compared.)
    assert assistant_text.endswith(f": {redacted_prompt}")
    assert tags(assistant_text)[-3:] == tags(redacted_prompt)
    (tag,) = tags(b1["messages"][2]["content"])
    assert b1["messages"][2]["content"] == f"And again: {tag}"
    assert tag in redacted_prompt


def test_count_tokens(upstream):
    n = client().messages.count_tokens(
        model=MODEL, system=f"The customer is {EMAIL}.", messages=user(PROMPT), tools=TOOLS
    )
    assert n.input_tokens > 0
    (body,) = upstream.parsed()
    assert "max_tokens" not in body
    assert len(tags(body["messages"][0]["content"])) == 3
    system = body["system"] if isinstance(body["system"], str) else json.dumps(body["system"])
    assert len(tags(system)) == 1


def test_batches_create_retrieve_results(upstream):
    c = client()
    only = f"only {EMAIL}"
    batch = c.messages.batches.create(
        requests=[
            {"custom_id": "a", "params": {"model": MODEL, "max_tokens": 64, "messages": user(PROMPT)}},
            {"custom_id": "b", "params": {"model": MODEL, "max_tokens": 64, "messages": user(only)}},
            {
                "custom_id": "c",
                "params": {"model": MODEL, "max_tokens": 64, "tools": TOOLS, "messages": user(PHONE)},
            },
        ]
    )
    assert batch.results_url.startswith(PROXY + "/v1/"), "results_url must point at the proxy"
    got = c.messages.batches.retrieve(batch.id)
    assert got.processing_status == "ended"
    assert got.results_url.startswith(PROXY + "/v1/")
    listed = [b for b in c.messages.batches.list() if b.id == batch.id]
    assert listed and listed[0].results_url.startswith(PROXY + "/v1/")

    results = {r.custom_id: r.result for r in c.messages.batches.results(batch.id)}
    assert sorted(results) == ["a", "b", "c"]
    assert all(r.type == "succeeded" for r in results.values())
    assert results["a"].message.content[0].text == said(PROMPT)
    assert results["b"].message.content[0].text == said(only)
    assert results["c"].message.content[1].input == {"query": PHONE, "note": NOTE}

    (body,) = upstream.parsed()
    params = [r["params"] for r in body["requests"]]
    assert len(tags(params[0]["messages"][0]["content"])) == 3
    assert len(tags(params[1]["messages"][0]["content"])) == 1


def test_beta_messages_stream_count_tokens_and_batches(upstream):
    c = client()
    beta = "fine-grained-tool-streaming-2025-05-14"
    raw = c.beta.messages.with_raw_response.create(model=MODEL, max_tokens=64, messages=user(PROMPT), betas=[beta])
    assert raw.http_request.headers["anthropic-beta"] == beta
    assert raw.parse().content[0].text == said(PROMPT)
    with c.beta.messages.stream(model=MODEL, max_tokens=64, tools=TOOLS, messages=user(PROMPT), betas=[beta]) as s:
        kinds = [event.type for event in s]
        final = s.get_final_message()
    assert kinds[0] == "message_start" and kinds[-1] == "message_stop"
    assert final.content[1].input == {"query": PROMPT, "note": NOTE}
    assert c.beta.messages.count_tokens(model=MODEL, messages=user(PROMPT)).input_tokens > 0
    batch = c.beta.messages.batches.create(
        requests=[{"custom_id": "a", "params": {"model": MODEL, "max_tokens": 64, "messages": user(PROMPT)}}]
    )
    assert batch.results_url.startswith(PROXY + "/v1/")
    (line,) = list(c.beta.messages.batches.results(batch.id))
    assert line.result.message.content[0].text == said(PROMPT)
    assert [m.id for m in c.models.list()] == ["claude-mock-1"]
    for body in upstream.parsed():
        assert tags(json.dumps(body)), "nothing was pseudonymised"


@pytest.mark.parametrize("seed", range(1, 5))
def test_non_ascii_around_the_values(upstream, seed):
    # Multi-byte characters next to the values: the mock cuts its stream at
    # random byte offsets, inside UTF-8 sequences too.
    text = f"Grüße an {EMAIL} — 📞 {PHONE}, Karte {CARD} ✓ 日本語"
    c = client()
    assert c.messages.create(model=MODEL, max_tokens=64, messages=user(text)).content[0].text == said(text)
    with c.messages.stream(
        model=MODEL, max_tokens=64, tools=TOOLS, messages=user(text), extra_headers={"x-mock-seed": str(seed)}
    ) as s:
        streamed = "".join(s.text_stream)
        final = s.get_final_message()
    assert streamed == "Let me look that up."
    assert final.content[1].input == {"query": text, "note": NOTE}
    with c.messages.stream(
        model=MODEL, max_tokens=64, messages=user(text), extra_headers={"x-mock-seed": str(seed)}
    ) as s:
        assert "".join(s.text_stream) == said(text)
    assert len(tags(upstream.parsed()[0]["messages"][0]["content"])) >= 3


def test_rate_limit_passes_through(upstream):
    with pytest.raises(anthropic.RateLimitError) as e:
        client(max_retries=0).messages.create(
            model=MODEL, max_tokens=64, messages=user(PROMPT), extra_headers={"x-mock-fail": "429"}
        )
    err = e.value
    assert err.status_code == 429
    assert err.response.headers["retry-after"] == "1"
    assert err.response.headers["retry-after-ms"] == "1"
    assert err.response.headers["anthropic-ratelimit-requests-remaining"] == "0"
    assert err.body["error"]["type"] == "rate_limit_error"
    assert err.body["error"]["message"] == "Number of request tokens has exceeded your per-minute rate limit"
    assert len(upstream.bodies()) == 1


def test_retries_go_through_the_proxy(upstream):
    # The SDK's own retries (retry-after-ms: 1) each reach the upstream,
    # each with the same redacted body.
    with pytest.raises(anthropic.RateLimitError):
        client(max_retries=2).messages.create(
            model=MODEL, max_tokens=64, messages=user(PROMPT), extra_headers={"x-mock-fail": "429"}
        )
    bodies = upstream.bodies()
    assert len(bodies) == 3
    assert len(set(bodies)) == 1
    with pytest.raises(anthropic.APIStatusError) as e:
        client(max_retries=0).messages.create(
            model=MODEL, max_tokens=64, messages=user(PROMPT), extra_headers={"x-mock-fail": "529"}
        )
    assert e.value.status_code == 529
    assert e.value.body["error"]["type"] == "overloaded_error"


def test_mid_stream_error_surfaces_raw(upstream):
    stream = client().messages.create(
        model=MODEL, max_tokens=64, messages=user(PROMPT), stream=True, extra_headers={"x-mock-fail": "stream-error"}
    )
    kinds = []
    with pytest.raises(anthropic.APIStatusError) as e:
        for event in stream:
            kinds.append(event.type)
    assert kinds[0] == "message_start"
    assert "message_stop" not in kinds
    assert e.value.body["error"]["type"] == "overloaded_error"
    assert e.value.body["error"]["message"] == "Overloaded"


def test_mid_stream_error_surfaces_in_helper(upstream):
    text = []
    with pytest.raises(anthropic.APIStatusError) as e:
        with client().messages.stream(
            model=MODEL, max_tokens=64, messages=user(PROMPT), extra_headers={"x-mock-fail": "stream-error"}
        ) as s:
            for t in s.text_stream:
                text.append(t)
    assert "overloaded_error" in str(e.value)
    assert said(PROMPT).startswith("".join(text))


def test_missing_content_block_stop_is_accepted(upstream):
    with client().messages.stream(
        model=MODEL, max_tokens=64, messages=user(PROMPT), extra_headers={"x-mock-fail": "no-block-stop"}
    ) as s:
        text = "".join(s.text_stream)
        final = s.get_final_message()
    assert text == said(PROMPT)
    assert final.content[0].text == said(PROMPT)


def test_truncated_stream_gives_a_restored_prefix(upstream):
    # The upstream ends the body halfway (no message_stop): the client gets
    # what came, restored, and never a pseudonym or a piece of one. The
    # seeds move the cut; some fall inside a pseudonym.
    for seed in range(1, 49):
        with client().messages.stream(
            model=MODEL,
            max_tokens=64,
            messages=user(PROMPT),
            extra_headers={"x-mock-fail": "drop", "x-mock-seed": str(seed)},
        ) as s:
            text = "".join(s.text_stream)
        assert text and said(PROMPT).startswith(text), (seed, text)
        assert "[" not in text, (seed, text)


def test_concurrent_streams_keep_their_own_values(upstream):
    async def one(c, i):
        text = f"Ticket {i}: write to user{i}.smith@acme-mail.io, card {CARD}"
        async with c.messages.stream(
            model=MODEL, max_tokens=64, messages=user(text), extra_headers={"x-mock-seed": str(i + 1)}
        ) as s:
            streamed = "".join([t async for t in s.text_stream])
        return text, streamed

    async def run():
        c = anthropic.AsyncAnthropic(base_url=PROXY, api_key=KEY, max_retries=0)
        try:
            return await asyncio.gather(*(one(c, i) for i in range(16)))
        finally:
            await c.close()

    for text, streamed in asyncio.run(run()):
        assert streamed == said(text)
    assert len(upstream.bodies()) == 16
