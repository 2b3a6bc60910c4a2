// session_params.i (memfix scenario input)
//
// What a session is built from in libtorrent 2.0, and the one-call way to
// make it keep its pieces in RAM.

%{
#include <libtorrent/session_params.hpp>
#include "memory_disk_io.hpp"
%}

%include <libtorrent/session_params.hpp>

%extend libtorrent::session_params {
    // RAM-only pieces, through the header's own constructor function;
    // memory_size is each torrent's byte budget (0: none).
    void set_memory_disk_io(std::int64_t memory_size) {
        libtorrent::memory_disk_memory_size = memory_size;
        self->disk_io_constructor = libtorrent::memory_disk_constructor;
    }

    libtorrent::settings_pack& get_settings() {
        return self->settings;
    }
}
