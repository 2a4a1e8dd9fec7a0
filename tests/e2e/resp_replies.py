"""What the RESP memory-bound scripts share: the server's resident memory, and reading a client's
replies as they come, compared with what is wanted without holding them."""


def rss_mib(pid):
    """The resident memory of process `pid`, in MiB."""
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS"):
            return int(line.split()[1]) // 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def mismatch(sock, want):
    """Reads from `sock` until `want` has come; what went wrong, or None."""
    got = 0
    while got < len(want):
        chunk = sock.recv(1 << 20)
        if not chunk:
            break
        if want[got:got + len(chunk)] != chunk:
            return f"the replies differ at byte {got}"
        got += len(chunk)
    return None if got == len(want) else f"{got} bytes of {len(want)}"
