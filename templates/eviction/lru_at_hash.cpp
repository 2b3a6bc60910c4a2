// memfix(eviction): a piece joins the LRU, and may be evicted, only once libtorrent
// has hashed it: a piece still downloading or waiting for its hash check stays,
// since libtorrent counts its written blocks and would fail the check without them
{{lru}}[{{piece}}] = {{clock}};
