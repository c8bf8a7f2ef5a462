"""kpisync-monday-digest: the example plugin of docs/plugins.md."""
