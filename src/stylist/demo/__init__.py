"""The offline demo: `stylist demo`'s end-to-end job and the demo shop it (and the crawler's tests) crawl."""
