{
    // memfix(free-disk-buffer): release only what {{alloc}}() handed out.
    // Any other pointer (one into piece storage, say) is not ours to delete.
    if ({{buf}} == nullptr) return;
    std::lock_guard<std::mutex> lock({{mutex}});
    if ({{buffers}}.count({{buf}}) != 0) {{recycle}}({{buf}});
}
