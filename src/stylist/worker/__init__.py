"""The worker: takes jobs from the queue (stylist.jobs) and runs the pipelines they ask for, keeping the
models loaded between jobs. It sits above every pipeline; the queue sits below the web app and the people
records, which only put jobs in and take them out."""
