"""The event-stream decoder: any split of the bytes gives the same events."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from brainloop_tui.core.llm.sse import SSEDecoder, SSEEvent


def decode(*chunks: bytes) -> list[SSEEvent]:
    decoder = SSEDecoder()
    events = [event for chunk in chunks for event in decoder.feed(chunk)]
    return events + decoder.close()


def test_data_lines_comments_and_event_names():
    stream = b": ping\ndata: {\"a\": 1}\n\nevent: error\ndata: line one\ndata:line two\n\ndata: [DONE]\n\n"
    assert decode(stream) == [
        (b"", b'{"a": 1}'),
        (b"error", b"line one\nline two"),
        (b"", b"[DONE]"),
    ]


def test_crlf_split_between_reads_is_one_line_end():
    assert decode(b"data: a\r", b"\n\r", b"\ndata: b\r\n\r\n") == [(b"", b"a"), (b"", b"b")]


def test_cr_alone_ends_lines():
    assert decode(b"data: a\r\rdata: b\r\r") == [(b"", b"a"), (b"", b"b")]


def test_only_one_space_after_the_colon_is_dropped():
    assert decode(b"data:  two spaces\n\n") == [(b"", b" two spaces")]


def test_blank_lines_without_data_dispatch_nothing():
    assert decode(b"\n\n: comment\n\nid: 7\nretry: 10\n\n") == []


def test_last_event_without_its_blank_line_is_delivered():
    assert decode(b"data: [DONE]\n") == [(b"", b"[DONE]")]


def test_event_cut_inside_a_line_is_not_delivered():
    assert decode(b'data: {"half') == []


line_text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"), max_size=30)
events = st.lists(
    st.tuples(st.sampled_from(["", "message", "error"]), st.lists(line_text, min_size=1, max_size=3)), max_size=8
)


@given(events=events, newline=st.sampled_from(["\n", "\r\n", "\r"]), cuts=st.lists(st.integers(0, 10_000), max_size=20))
def test_any_split_of_the_stream_gives_the_same_events(events, newline, cuts):
    parts = []
    for name, lines in events:
        if name:
            parts.append(f"event: {name}{newline}")
        parts.append(f": keep-alive{newline}")
        parts.extend(f"data: {line}{newline}" for line in lines)
        parts.append(newline)
    stream = "".join(parts).encode()
    points = sorted({min(cut, len(stream)) for cut in cuts})
    chunks = [stream[start:end] for start, end in zip([0, *points], [*points, len(stream)], strict=True)]
    expected = [(name.encode(), "\n".join(lines).encode()) for name, lines in events]
    assert decode(*chunks) == expected
