// memfix(storage-generation): jobs still queued for the torrent removed here must
// not complete as if they belonged to the slot's next owner
std::lock_guard<{{mutexType}}> {{lock}}({{mutex}});
{{bump}}({{slot}});
