"""The floor of the throughput benchmark: the cheapest page FastAPI and uvicorn can serve,
run the same way as Carnet, so its rate says what the machine and the stack allow."""

from fastapi import FastAPI
from fastapi.responses import HTMLResponse

app = FastAPI()


@app.get("/", response_class=HTMLResponse)
def page() -> str:
    return "<!doctype html><title>floor</title><p>Hello</p>"


if __name__ == "__main__":
    # Served as `carnet serve --workers 2` serves Carnet: a listening socket per worker.
    import argparse

    import uvicorn

    from app.core.serving import serve_workers

    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    port = parser.parse_args().port
    serve_workers(uvicorn.Config("bench.floor:app", host="127.0.0.1", port=port, workers=2))
