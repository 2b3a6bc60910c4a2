{
    // memfix(free-disk-buffer): release only what {{alloc}}() handed out.
    // Any other pointer (one into piece storage, say) is not ours to delete.
    if ({{buf}} == nullptr) return;
    std::lock_guard<std::mutex> lock({{mutex}});
    auto const it = {{buffers}}.find({{buf}});
    if (it == {{buffers}}.end()) return;
    // a block-sized buffer waits in the pool for the next read while the pool has room
    if (it->second.size() == static_cast<std::size_t>(default_block_size) && {{pooled}} < {{pool}}.size())
        {{pool}}[{{pooled}}++] = std::move(it->second);
    {{buffers}}.erase({{buf}});
}
