"""The idle-cost baseline: a minimal `websockets` server that greets each socket and holds it open.

Usage: python bench/minimal_ws_server.py PORT
"""

import asyncio
import signal
import sys

from websockets.asyncio.server import serve

GREETING = '<li id="slot-0" class="slot slot-open" data-version="1" hx-swap-oob="true"></li>'


async def handler(ws) -> None:
    await ws.send(GREETING)
    async for _ in ws:  # hold the socket until the client leaves
        pass


async def main(port: int) -> None:
    stop = asyncio.get_running_loop().create_future()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set_result, None)
    async with serve(handler, "127.0.0.1", port):
        await stop


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
