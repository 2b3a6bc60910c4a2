// memfix(eviction): a piece evicted to stay under the memory limit is still had
// for libtorrent, which a disk I/O cannot tell otherwise. A failed read of it
// pauses the torrent; an aborted one is only reported (read_piece_alert's error):
// the reader can get the piece again (force_recheck, then it is downloaded again)
