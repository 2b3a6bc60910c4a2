
// memfix(free-disk-buffer): a buffer that a disk_buffer_holder may own. It is
// recorded here and released by free_disk_buffer(); callers may hold other locks.
// A request of up to a block takes a block-sized buffer, from the pool when it has one.
char* {{alloc}}(int const size)
{
    std::size_t const block = static_cast<std::size_t>(default_block_size);
    std::size_t const n = static_cast<std::size_t>(size > 0 ? size : 1);
    std::vector<char> bytes;
    std::unique_lock<std::mutex> lock({{mutex}});
    if (n <= block && {{pooled}} > 0) bytes = std::move({{pool}}[--{{pooled}}]);
    lock.unlock();
    if (bytes.empty()) bytes.resize(n <= block ? block : n);
    char* const buf = bytes.data();
    lock.lock();
    {{buffers}}.emplace(buf, std::move(bytes));
    return buf;
}
// memfix(free-disk-buffer): release a recorded buffer ({{mutex}} held): a
// block-sized one waits in the pool for the next read while the pool has room.
void {{recycle}}(char* const buf)
{
    auto const it = {{buffers}}.find(buf);
    if (it->second.size() == static_cast<std::size_t>(default_block_size) && {{pooled}} < {{pool}}.size())
        {{pool}}[{{pooled}}++] = std::move(it->second);
    {{buffers}}.erase(it);
}
