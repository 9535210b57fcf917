"""python_dial: CPython's socket module making a TCP connection or resolving a name, for
netcorr's runtime stories (tests/runtime_story_e2e_test.cc).

  python3 python_dial.py connect HOST PORT TIMEOUT_MS   socket.create_connection, then close
  python3 python_dial.py request HOST PORT TIMEOUT_MS   connect, send "hello\\n", read the answer
  python3 python_dial.py resolve NAME                   socket.getaddrinfo (glibc's resolver)

A socket timeout makes CPython use a non-blocking connect, poll and getsockopt(SO_ERROR).
Prints one line, "result: ok ..." or "result: CALL ERROR", and exits 1 on failure.
"""
import errno
import socket
import sys


def fail(call, what):
    print(f"result: {call} {what}", flush=True)
    sys.exit(1)


def os_error_name(e):
    return errno.errorcode.get(e.errno, str(e.errno))


def dial(mode, host, port, timeout_s):
    try:
        sock = socket.create_connection((host, port), timeout=timeout_s)
    except socket.timeout:
        fail("connect", "timeout")
    except OSError as e:
        fail("connect", os_error_name(e))
    with sock:
        if mode == "connect":
            print("result: ok connected", flush=True)
            return
        try:
            sock.sendall(b"hello\n")
            data = sock.recv(256)
        except socket.timeout:
            fail("recv", "timeout")
        except OSError as e:
            fail("recv", os_error_name(e))
        print(f"result: ok {data!r}", flush=True)


def resolve(name):
    try:
        infos = socket.getaddrinfo(name, 80, type=socket.SOCK_STREAM)
    except socket.gaierror as e:
        names = {socket.EAI_AGAIN: "EAI_AGAIN", socket.EAI_NONAME: "EAI_NONAME"}
        fail("resolve", names.get(e.errno, str(e.errno)))
    print("result: ok " + " ".join(sorted({i[4][0] for i in infos})), flush=True)


def main(argv):
    if len(argv) == 3 and argv[1] == "resolve":
        resolve(argv[2])
    elif len(argv) == 5 and argv[1] in ("connect", "request") and int(argv[4]) > 0:
        dial(argv[1], argv[2], int(argv[3]), int(argv[4]) / 1000)
    else:
        print("usage: python_dial.py connect|request HOST PORT TIMEOUT_MS | resolve NAME",
              file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main(sys.argv)
