// memfix(free-disk-buffer): read buffers handed to libtorrent, owned until freed
std::mutex {{mutex}};
std::unordered_map<char*, std::vector<char>> {{buffers}};
// memfix(free-disk-buffer): up to {{pool_max}} freed block-sized buffers, taken again by the
// next reads: a burst of reads does not go back to the system allocator for each one
std::array<std::vector<char>, {{pool_max}}> {{pool}};
std::size_t {{pooled}} = 0;
