{
    storage_error {{error}};
    disk_buffer_holder {{buffer}};

    {
        {{lock}}
        if ({{condition}})
        {
            span<char const> const {{data}} = {{read}};
            if (!{{error}}.ec && !{{data}}.empty())
            {
                // memfix(copy-on-read): copy while the lock is held; the completion
                // gets a buffer of its own, never a pointer into piece storage.
                int const size = static_cast<int>({{data}}.size());
                char* copy = nullptr;
                try { copy = {{alloc}}(size); }
                catch (std::bad_alloc const&) {}
                if (copy == nullptr)
                {
                    // no memory for the copy: the handler hears it, as from libtorrent's
                    // own disk I/O; async_read does not throw
                    {{error}}.ec = boost::system::errc::make_error_code(
                        boost::system::errc::not_enough_memory);
                    {{error}}.operation = operation_t::alloc_cache_piece;
                }
                else
                {
                    std::memcpy(copy, {{data}}.data(), static_cast<std::size_t>(size));
                    {{buffer}} = disk_buffer_holder(*this, copy, size);
                }
            }
        }{{else}}
    }

    // the completion owns the buffer: dropped without running, it still frees it
    {{post}}({{executor}}, [{{handler}} = std::move({{handler}}), {{error}}, {{buffer}} = std::move({{buffer}})]() mutable
    {
        {{handler}}(std::move({{buffer}}), {{error}});
    });
}
