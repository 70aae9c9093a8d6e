"""The floor of the throughput benchmark: the cheapest page FastAPI and uvicorn can serve,
run the same way as Carnet, so its rate says what the machine and the stack allow."""

from fastapi import FastAPI
from fastapi.responses import HTMLResponse

app = FastAPI()


@app.get("/", response_class=HTMLResponse)
def page() -> str:
    return "<!doctype html><title>floor</title><p>Hello</p>"
