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
                char* const copy = {{alloc}}(size);
                std::memcpy(copy, {{data}}.data(), static_cast<std::size_t>(size));
                {{buffer}} = disk_buffer_holder(*this, copy, size);
            }
        }{{else}}
    }

    // the completion owns the buffer: dropped without running, it still frees it
    {{post}}({{executor}}, [{{handler}} = std::move({{handler}}), {{error}}, {{buffer}} = std::move({{buffer}})]() mutable
    {
        {{handler}}(std::move({{buffer}}), {{error}});
    });
}
