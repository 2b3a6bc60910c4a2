// session.i (memfix fixture)
//
// Session bindings for libtorrent 2.0: sessions are built from
// session_params, state goes through read_/write_session_params, and
// session_params can be told to keep every piece in RAM.

%{
#include <libtorrent/io_context.hpp>
#include <libtorrent/ip_filter.hpp>
#include <libtorrent/kademlia/dht_storage.hpp>
#include <libtorrent/peer_class.hpp>
#include <libtorrent/peer_class_type_filter.hpp>
#include <libtorrent/session.hpp>
#include <libtorrent/session_handle.hpp>
#include <libtorrent/session_params.hpp>
#include <libtorrent/session_stats.hpp>
#include <libtorrent/settings_pack.hpp>
#include "memory_disk_io.hpp"
%}

%feature("director") session_handle;

// no Go equivalent for these
%ignore libtorrent::session_handle::add_extension; // C++ plugin factory
%ignore libtorrent::session_handle::dht_put_item; // C++ callback
// gone or deprecated in 2.0
%ignore libtorrent::session_settings;
%ignore libtorrent::dht_settings;
%ignore libtorrent::session_handle::load_state; // see read_session_params
%ignore libtorrent::session_handle::save_state; // see write_session_params

%template(stdVectorAlerts) std::vector<libtorrent::alert*>; // for pop_alerts

%extend libtorrent::session {
    static libtorrent::session* create_with_params(
        libtorrent::session_params params)
    {
        return new libtorrent::session{std::move(params)};
    }

    libtorrent::session_handle* get_handle()
    {
        return self;
    }

    libtorrent::session_params get_session_state() const
    {
        return self->session_state();
    }
}

%extend libtorrent::session_handle {
    // returns the alerts instead of filling an out-parameter
    std::vector<libtorrent::alert*> pop_alerts()
    {
        std::vector<libtorrent::alert*> out;
        self->pop_alerts(&out);
        return out;
    }
}

%extend libtorrent::session_params {
    // Keep pieces in RAM instead of files; memory_size is the per-torrent
    // budget in bytes (0: no limit).
    void set_memory_disk_io(std::int64_t memory_size)
    {
        libtorrent::memory_disk_memory_size = memory_size;
        self->disk_io_constructor = [](libtorrent::io_context& ioc
            , libtorrent::settings_interface const& si
            , libtorrent::counters& cnt)
        {
            return std::make_unique<libtorrent::memory_disk_io>(ioc);
        };
    }

    void set_settings(libtorrent::settings_pack const& pack)
    {
        self->settings = pack;
    }

    libtorrent::settings_pack& get_settings()
    {
        return self->settings;
    }
}

// Saving and restoring session state.
namespace libtorrent {
    session_params read_session_params(span<char const> buf
        , save_state_flags_t flags = save_state_flags_t::all());
    std::vector<char> write_session_params(session_params const& sp
        , save_state_flags_t flags = save_state_flags_t::all());
    std::vector<char> write_session_params_buf(session_params const& sp
        , save_state_flags_t flags = save_state_flags_t::all());
}

%include "extensions.i"
%include <libtorrent/io_context.hpp>
%include <libtorrent/ip_filter.hpp>
%include <libtorrent/kademlia/dht_storage.hpp>
%include <libtorrent/peer_class.hpp>
%include <libtorrent/peer_class_type_filter.hpp>
%include <libtorrent/settings_pack.hpp>
%include <libtorrent/session_params.hpp>
%include <libtorrent/session.hpp>
%include <libtorrent/session_stats.hpp>
%include <libtorrent/session_handle.hpp>

// Settings by name, so Go does not need the numeric ids.  Unknown names
// are ignored on set and read back as false / 0 / "".
%extend libtorrent::settings_pack {
    void set_bool(std::string const& name, bool val)
    {
        int const id = libtorrent::setting_by_name(name);
        if (id >= 0) $self->set_bool(id, val);
    }

    void set_int(std::string const& name, int val)
    {
        int const id = libtorrent::setting_by_name(name);
        if (id >= 0) $self->set_int(id, val);
    }

    void set_str(std::string const& name, std::string const& val)
    {
        int const id = libtorrent::setting_by_name(name);
        if (id >= 0) $self->set_str(id, val);
    }

    bool get_bool(std::string const& name) const
    {
        int const id = libtorrent::setting_by_name(name);
        return id >= 0 ? $self->get_bool(id) : false;
    }

    int get_int(std::string const& name) const
    {
        int const id = libtorrent::setting_by_name(name);
        return id >= 0 ? $self->get_int(id) : 0;
    }

    std::string get_str(std::string const& name) const
    {
        int const id = libtorrent::setting_by_name(name);
        return id >= 0 ? $self->get_str(id) : std::string();
    }

    bool has_setting(std::string const& name) const
    {
        int const id = libtorrent::setting_by_name(name);
        return id >= 0;
    }
}
