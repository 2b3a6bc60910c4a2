
// memfix(free-disk-buffer): a buffer that a disk_buffer_holder may own. It is
// recorded here and released by free_disk_buffer(); callers may hold other locks.
// A request of up to a block takes a block-sized buffer, from the pool when it has one.
char* {{alloc}}(int const size)
{
    std::size_t const block = static_cast<std::size_t>(default_block_size);
    std::size_t const n = static_cast<std::size_t>(size > 0 ? size : 1);
    std::vector<char> bytes;
    {
        std::lock_guard<std::mutex> lock({{mutex}});
        if (n <= block && {{pooled}} > 0) bytes = std::move({{pool}}[--{{pooled}}]);
    }
    if (bytes.empty()) bytes.resize(n <= block ? block : n);
    char* const buf = bytes.data();
    std::lock_guard<std::mutex> lock({{mutex}});
    {{buffers}}.emplace(buf, std::move(bytes));
    return buf;
}
