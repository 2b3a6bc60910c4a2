
// memfix(free-disk-buffer): a buffer that a disk_buffer_holder may own. It is
// recorded here and released by free_disk_buffer(); callers may hold other locks.
char* {{alloc}}(int const size)
{
    std::unique_ptr<char[]> owned(new char[static_cast<std::size_t>(size > 0 ? size : 1)]);
    char* const buf = owned.get();
    std::lock_guard<std::mutex> lock({{mutex}});
    {{buffers}}.emplace(buf, std::move(owned));
    return buf;
}
