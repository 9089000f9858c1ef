#!/usr/bin/env python3
"""A permissive HTTP/1.1 origin for the CRS runner: answers 200 to anything.

Usage: origin200.py PORT [--host 127.0.0.1]

Any method, any target, any version; reads a Content-Length or chunked body (and ignores it); replies
`200 OK` with `Cache-Control: no-store` (so the cache in front never answers a stage itself) and a short
text body; keep-alive unless the client asks for close or speaks HTTP/1.0. Standard library only.
"""
import argparse, asyncio, sys

BODY = b"ok\n"


async def read_body(reader, headers):
    te = headers.get(b"transfer-encoding", b"").lower()
    if b"chunked" in te:
        while True:
            line = await reader.readline()
            if not line:
                return False
            size = int(line.split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while (await reader.readline()) not in (b"\r\n", b"\n", b""):
                    pass
                return True
            await reader.readexactly(size + 2)
    n = headers.get(b"content-length")
    if n:
        await reader.readexactly(int(n))
    return True


async def handle(reader, writer):
    try:
        while True:
            line = await reader.readline()
            if not line:
                break
            if not line.strip():
                continue
            parts = line.split()
            version = parts[2] if len(parts) > 2 else b"HTTP/1.0"
            headers = {}
            while True:
                h = await reader.readline()
                if h in (b"\r\n", b"\n", b""):
                    break
                k, _, v = h.partition(b":")
                headers[k.strip().lower()] = v.strip()
            if not await read_body(reader, headers):
                break
            close = headers.get(b"connection", b"").lower() == b"close" or version == b"HTTP/1.0"
            head = (b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nCache-Control: no-store\r\n"
                    b"Content-Length: %d\r\n%s\r\n" % (len(BODY), b"Connection: close\r\n" if close else b""))
            writer.write(head + (b"" if parts[0] == b"HEAD" else BODY))
            await writer.drain()
            if close:
                break
    except (ConnectionError, asyncio.IncompleteReadError, ValueError, IndexError):
        pass
    finally:
        writer.close()


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("port", type=int)
    ap.add_argument("--host", default="127.0.0.1")
    args = ap.parse_args()
    server = await asyncio.start_server(handle, args.host, args.port, backlog=1024, limit=1 << 20)
    print(f"origin200 listening on {args.host}:{args.port}", file=sys.stderr, flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
