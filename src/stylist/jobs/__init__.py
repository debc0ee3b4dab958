"""The job queue: long work (training, looks, spins) waits here as jobs, in SQLite or PostgreSQL, for a worker
(stylist.worker) to run. The web app and the CLI put jobs in and read them; they never run one."""
