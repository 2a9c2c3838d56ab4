"""What the helper programs beside it share (as tests/libtest.sh is what
the areas share)."""
import errno


def send_tokens(u, tok_ok, tok_denied):
    """Send TOK_OK to 127.0.0.2:9001 and TOK_DENIED to 127.0.0.3:9001 on
    the UDP socket u; each result, "ok" or the errno's name."""
    res = []
    for host, tok in (("127.0.0.2", tok_ok), ("127.0.0.3", tok_denied)):
        try:
            u.sendto(tok.encode(), (host, 9001))
            res.append("ok")
        except OSError as e:
            res.append(errno.errorcode.get(e.errno, str(e.errno)))
    return res
