// session.i for libtorrent 1.2 (memfix fixture)
//
// 1.2 has no session-wide disk_interface: RAM storage is chosen per torrent
// through add_torrent_params::storage, so nothing here touches disk I/O.

%{
#include <libtorrent/io_service.hpp>
#include <libtorrent/ip_filter.hpp>
#include <libtorrent/kademlia/dht_storage.hpp>
#include <libtorrent/peer_class.hpp>
#include <libtorrent/peer_class_type_filter.hpp>
#include <libtorrent/session.hpp>
#include <libtorrent/session_handle.hpp>
#include <libtorrent/session_stats.hpp>
#include <libtorrent/settings_pack.hpp>
#include <libtorrent/add_torrent_params.hpp>
#include "memory_storage.hpp"
%}

%feature("director") session_handle;

%ignore libtorrent::session_handle::add_extension; // C++ plugin factory
%ignore libtorrent::session_settings; // replaced by settings_pack

%template(stdVectorAlerts) std::vector<libtorrent::alert*>; // for pop_alerts

%extend libtorrent::session {
    libtorrent::session_handle* get_handle()
    {
        return self;
    }
}

%extend libtorrent::session_handle {
    std::vector<libtorrent::alert*> pop_alerts()
    {
        std::vector<libtorrent::alert*> out;
        self->pop_alerts(&out);
        return out;
    }
}
%ignore libtorrent::session_handle::pop_alerts; // replaced by the %extend above

// Per-torrent RAM storage: the 1.2 way is a storage constructor.
%extend libtorrent::add_torrent_params {
    void use_memory_storage(std::int64_t budget)
    {
        libtorrent::memory_size = budget;
        self->storage = libtorrent::memory_storage_constructor;
    }
}

%include "extensions.i"
%include <libtorrent/io_service.hpp>
%include <libtorrent/ip_filter.hpp>
%include <libtorrent/kademlia/dht_storage.hpp>
%include <libtorrent/peer_class.hpp>
%include <libtorrent/peer_class_type_filter.hpp>
%include <libtorrent/settings_pack.hpp>
%include <libtorrent/session.hpp>
%include <libtorrent/session_stats.hpp>
%include <libtorrent/session_handle.hpp>

%extend libtorrent::settings_pack {
    void set_int(std::string const& name, int val)
    {
        int const id = libtorrent::setting_by_name(name);
        if (id >= 0) $self->set_int(id, val);
    }

    int get_int(std::string const& name) const
    {
        int const id = libtorrent::setting_by_name(name);
        return id >= 0 ? $self->get_int(id) : 0;
    }
}
