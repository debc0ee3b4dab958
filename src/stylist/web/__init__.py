"""The web app and JSON API: upload, looks, pick, buy, spin. It queues work for the worker and never imports torch."""
