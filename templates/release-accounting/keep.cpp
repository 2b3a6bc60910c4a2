// memfix(release-accounting): libtorrent releases a torrent's files to close them
// and flush caches (the torrent finished, flush_cache, save_resume_data with
// flush_disk_cache, force_recheck), not to drop its data: in RAM there is nothing
// to close or flush, so every piece stays. async_delete_files and remove_torrent
// are what free pieces.
