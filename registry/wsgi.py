"""The WSGI entry point for production servers: `gunicorn --preload -w 2 registry.wsgi:app`.

After the app is built, its long-lived objects (modules, models, schemas, the app itself) are
moved out of the garbage collector's reach with gc.freeze(): otherwise every full collection
walks ~150,000 of them, which showed as 65-120 ms stalls on large pages (docs/benchmarks.md).
With --preload the frozen objects are also shared copy-on-write by the forked workers.
"""

import gc

from registry import create_app

app = create_app()
gc.collect()
gc.freeze()
