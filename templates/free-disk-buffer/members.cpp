// memfix(free-disk-buffer): read buffers handed to libtorrent, owned until freed
std::mutex {{mutex}};
std::unordered_map<char*, std::unique_ptr<char[]>> {{buffers}};
