"""Raw HTTP/1.1 on a socket, for the e2e scripts' python blocks (PYTHONPATH is this folder): what a
client library would hide, such as a connection the server keeps open or closes."""
import socket


def read_until_closed(conn, timeout):
    """What the server sends until it closes `conn`, and whether it closed it: False when it sent
    nothing for `timeout` seconds (the connection stayed open)."""
    conn.settimeout(timeout)
    answers = b""
    try:
        while True:
            chunk = conn.recv(65536)
            if not chunk:
                return answers, True
            answers += chunk
    except socket.timeout:
        return answers, False
