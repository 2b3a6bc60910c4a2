// memfix fixture — a RAM-only disk back end for libtorrent 2.0.
//
// Written for memfix's tests; it mirrors the layout of the upstream file
// it stands in for but none of its text.  One disk_interface serves every
// torrent of the session; each torrent gets a memory_storage slot, found
// through its storage_index_t, and completions are posted to the io_context.

#ifndef MEMFIX_SAMPLE_MEMORY_DISK_IO_HPP
#define MEMFIX_SAMPLE_MEMORY_DISK_IO_HPP

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <boost/dynamic_bitset.hpp>

#include <libtorrent/config.hpp>
#include <libtorrent/aux_/vector.hpp>
#include <libtorrent/disk_buffer_holder.hpp>
#include <libtorrent/disk_interface.hpp>
#include <libtorrent/error_code.hpp>
#include <libtorrent/file_storage.hpp>
#include <libtorrent/hasher.hpp>
#include <libtorrent/io_context.hpp>
#include <libtorrent/peer_request.hpp>
#include <libtorrent/settings_pack.hpp>
#include <libtorrent/sha1_hash.hpp>
#include <libtorrent/span.hpp>
#include <libtorrent/storage_defs.hpp>
#include <libtorrent/torrent_info.hpp>
#include <libtorrent/units.hpp>

namespace libtorrent {

using piece_bits = boost::dynamic_bitset<>;

// Byte budget per torrent.  Go sets it before the session is built.
std::int64_t memory_disk_memory_size = 0; // 0 = unlimited

inline std::chrono::steady_clock::time_point md_clock()
{
	using clock = std::chrono::steady_clock;
	return clock::now();
}

// ---------------------------------------------------------------------------
// memory_storage: the pieces of a single torrent, kept in RAM
// ---------------------------------------------------------------------------

struct memory_storage
{
	std::map<piece_index_t, std::vector<char>> m_blocks; // piece -> bytes

	file_storage const& m_files;
	int m_piece_length;
	int m_num_pieces;

	piece_bits reader_pieces;
	piece_bits reserved_pieces;
	piece_bits lookbehind_pieces;   // pieces the player may seek back to
	std::int64_t capacity;
	int m_cap;
	int m_held;

	// last touch of each stored piece, for LRU
	std::map<piece_index_t, std::chrono::steady_clock::time_point> m_last_use;

	bool verbose = false;

	explicit memory_storage(storage_params const& params)
		: m_files(params.files)
		, m_piece_length(params.files.piece_length())
		, m_num_pieces(params.files.num_pieces())
		, capacity(memory_disk_memory_size)
		, m_cap(m_num_pieces)
		, m_held(0)
	{
		if (capacity > 0)
		{
			double const fit = double(capacity) / m_piece_length;
			m_cap = int(std::ceil(fit)) + 2;
			m_cap = std::min(m_cap, m_num_pieces);
		}

		int const bits = m_num_pieces + 10;
		reader_pieces.resize(bits);
		reserved_pieces.resize(bits);
		lookbehind_pieces.resize(bits);

		std::cerr << "[memdisk] storage up: " << m_num_pieces
				  << " pieces of " << m_piece_length
				  << " bytes, limit " << m_cap << "\n";
	}

	// Hands out a view into m_blocks; it stays valid only while the
	// piece is neither evicted nor erased.
	span<char const> readv(peer_request const& r,
		storage_error& ec) const
	{
		auto const it = m_blocks.find(r.piece);
		int const have = it == m_blocks.end()
			? 0 : int(it->second.size());
		if (it == m_blocks.end() || have <= r.start)
		{
			ec.operation = operation_t::file_read;
			ec.ec = boost::asio::error::eof;
			return {};
		}
		int const n = std::min(r.length, have - r.start);
		return {it->second.data() + r.start, n};
	}

	void writev(span<char const> b, piece_index_t const piece,
		int const offset)
	{
		std::vector<char>& bytes = m_blocks[piece];
		if (bytes.empty())
		{
			// a piece we did not hold yet: make room first
			if (capacity > 0 && m_cap <= m_held)
				make_room(piece);
			bytes.resize(std::size_t(m_files.piece_size(piece)));
			++m_held;
		}

		std::size_t const end = std::size_t(offset) + std::size_t(b.size());
		if (bytes.size() < end) bytes.resize(end);
		std::memcpy(bytes.data() + offset, b.data(), std::size_t(b.size()));
		m_last_use[piece] = md_clock();
	}

	sha1_hash hash(piece_index_t const piece, span<sha256_hash> const block_hashes
		, storage_error& ec) const
	{
		auto const it = m_blocks.find(piece);
		if (it == m_blocks.end())
		{
			ec.operation = operation_t::file_read;
			ec.ec = boost::asio::error::eof;
			return {};
		}

		std::vector<char> const& bytes = it->second;
		hasher whole;
		whole.update(bytes);

		if (!block_hashes.empty())
		{
			int const block = default_block_size;
			int const blocks =
				(m_files.piece_size2(piece) + block - 1) / block;
			std::size_t pos = 0;
			for (int k = 0; k < blocks; ++k)
			{
				std::size_t const left = bytes.size() - pos;
				auto const len = std::ptrdiff_t(
					std::min<std::size_t>(std::size_t(block), left));
				hasher256 part;
				part.update({bytes.data() + pos, len});
				block_hashes[k] = part.final();
				pos += std::size_t(len);
			}
		}
		return whole.final();
	}

	sha256_hash hash2(piece_index_t const piece, int const offset
		, storage_error& ec)
	{
		auto const it = m_blocks.find(piece);
		if (it == m_blocks.end())
		{
			ec.operation = operation_t::file_read;
			ec.ec = boost::asio::error::eof;
			return {};
		}
		int const left = int(it->second.size()) - offset;
		auto const len = std::ptrdiff_t(std::min(default_block_size, left));
		hasher256 h;
		h.update({it->second.data() + offset, len});
		return h.final();
	}

	bool has_piece(piece_index_t const piece) const
	{
		return m_blocks.count(piece) != 0;
	}

	void evict_one(piece_index_t const piece)
	{
		auto const it = m_blocks.find(piece);
		if (it == m_blocks.end()) return;
		m_blocks.erase(it);
		m_last_use.erase(piece);
		--m_held;
		if (verbose)
			std::cerr << "[memdisk] dropped piece " << int(piece)
					  << " (" << m_held << " held)\n";
	}

	// memfix(release-accounting): drop every piece together with its accounting (the
	// LRU entries and the count of held pieces that make_room() works from), so that
	// the next new piece does not trim for pieces that are already gone
	void drop_all_pieces()
	{
		m_blocks.clear();
		m_last_use.clear();
		m_held = 0;
	}

	// Least-recently-used eviction, sparing the piece being written and
	// every reserved or lookbehind piece.
	void make_room(piece_index_t const keep)
	{
		while (m_held >= m_cap)
		{
			bool found = false;
			piece_index_t oldest(0);
			auto victim_time = md_clock();

			for (auto const& entry : m_last_use)
			{
				if (entry.first == keep) continue;
				int const p = int(entry.first);
				bool const in_range = p < m_num_pieces;
				if (in_range && reserved_pieces.test(std::size_t(p)))
					continue;
				if (in_range && lookbehind_pieces.test(std::size_t(p)))
					continue;
				if (entry.second < victim_time)
				{
					victim_time = entry.second;
					oldest = entry.first;
					found = true;
				}
			}

			if (!found) break;   // everything left is protected
			// memfix(release-accounting): an entry whose piece is gone only leaves the LRU, so
			// this loop always makes progress and cannot spin on it
			if (m_blocks.find(oldest) == m_blocks.end())
			{
				m_last_use.erase(oldest);
				continue;
			}
			evict_one(oldest);
		}
	}

	// --- lookbehind ---------------------------------------------------------

	void set_lookbehind_pieces(std::vector<int> const& wanted)
	{
		lookbehind_pieces.reset();
		for (int const p : wanted)
			if (p >= 0 && p < m_num_pieces)
				lookbehind_pieces.set(std::size_t(p));
	}

	void clear_lookbehind() { lookbehind_pieces.reset(); }

	bool is_lookbehind_available(int const piece) const
	{
		if (piece < 0 || m_num_pieces <= piece) return false;
		return lookbehind_pieces.test(std::size_t(piece))
			&& has_piece(piece_index_t(piece));
	}

	int get_lookbehind_available_count() const // stored and protected
	{
		int n = 0;
		for (int p = 0; p < m_num_pieces; ++p)
			if (is_lookbehind_available(p)) ++n;
		return n;
	}

	int get_lookbehind_protected_count() const // protected, stored or not
	{
		return int(lookbehind_pieces.count());
	}

	std::int64_t get_lookbehind_memory_used() const // in bytes
	{
		std::int64_t const n = get_lookbehind_available_count();
		return n * m_piece_length;
	}
};

// ---------------------------------------------------------------------------
// memory_disk_io: the session's disk_interface
// ---------------------------------------------------------------------------

struct memory_disk_io final
	: disk_interface
	, buffer_allocator_interface
{
private:
	io_context& m_ioc;
	// one slot per torrent; an emptied slot is handed out again later —
	// its index goes on m_free_slots
	aux::vector<std::unique_ptr<memory_storage>, storage_index_t> m_torrents; // by slot
	std::vector<storage_index_t> m_free_slots; // slots to reuse
	mutable std::mutex m_mutex;
	bool m_abort = false;

public:
	explicit memory_disk_io(io_context& ioc) : m_ioc(ioc)
	{
		std::cerr << "[memdisk] disk io ready\n";
	}

	// --- torrents -----------------------------------------------------------

	storage_holder new_torrent(storage_params const& params,
		std::shared_ptr<void> const&) override
	{
		std::lock_guard<std::mutex> l(m_mutex);
		storage_index_t slot;
		if (!m_free_slots.empty())
		{
			slot = m_free_slots.back();
			m_free_slots.pop_back();
			m_torrents[slot] = std::make_unique<memory_storage>(params);
		}
		else
		{
			slot = m_torrents.end_index();
			m_torrents.emplace_back(std::make_unique<memory_storage>(params));
		}
		std::cerr << "[memdisk] torrent in slot " << int(slot) << "\n";
		return storage_holder(slot, *this);
	}

	void remove_torrent(storage_index_t const slot) override
	{
		std::lock_guard<std::mutex> l(m_mutex);
		std::cerr << "[memdisk] slot " << int(slot) << " freed\n";
		m_torrents[slot].reset();
		m_free_slots.push_back(slot);
	}

	// --- reads and writes ---------------------------------------------------

	void async_read(storage_index_t storage, peer_request const& r
		, std::function<void(disk_buffer_holder, storage_error const&)> handler
		, disk_job_flags_t) override
	{
		storage_error err;
		span<char const> data;
		{
			std::lock_guard<std::mutex> l(m_mutex);
			if (storage < m_torrents.end_index()
				&& m_torrents[storage])
				data = m_torrents[storage]->readv(r, err);
			else
				err.ec = boost::asio::error::invalid_argument;
		}

		post(m_ioc, [handler, err, data, this]
		{
			handler(disk_buffer_holder(*this, const_cast<char*>(data.data())
				, int(data.size())), err);
		});
	}

	bool async_write(storage_index_t storage, peer_request const& r
		, char const* buf, std::shared_ptr<disk_observer>
		, std::function<void(storage_error const&)> handler
		, disk_job_flags_t) override
	{
		storage_error err;
		{
			std::lock_guard<std::mutex> l(m_mutex);
			if (storage < m_torrents.end_index()
				&& m_torrents[storage])
				m_torrents[storage]->writev({buf, r.length},
					r.piece, r.start);
			else
				err.ec = boost::asio::error::invalid_argument;
		}
		post(m_ioc, [handler, err] { handler(err); });
		// never "write blocked": nothing queues up behind a RAM copy
		return false;
	}

	void async_hash(storage_index_t storage, piece_index_t const piece
		, span<sha256_hash> v2, disk_job_flags_t
		, std::function<void(piece_index_t, sha1_hash const&,
			storage_error const&)> handler) override
	{
		storage_error err;
		sha1_hash digest;
		{
			std::lock_guard<std::mutex> l(m_mutex);
			if (storage < m_torrents.end_index()
				&& m_torrents[storage])
				digest = m_torrents[storage]->hash(piece, v2, err);
			else
				err.ec = boost::asio::error::invalid_argument;
		}
		post(m_ioc, [handler, piece, digest, err]
			{ handler(piece, digest, err); });
	}

	void async_hash2(storage_index_t storage, piece_index_t const piece
		, int const offset, disk_job_flags_t
		, std::function<void(piece_index_t, sha256_hash const&,
			storage_error const&)> handler) override
	{
		storage_error err;
		sha256_hash digest;
		{
			std::lock_guard<std::mutex> l(m_mutex);
			if (storage < m_torrents.end_index()
				&& m_torrents[storage])
				digest = m_torrents[storage]->hash2(piece, offset, err);
			else
				err.ec = boost::asio::error::invalid_argument;
		}
		post(m_ioc, [handler, piece, digest, err]
			{ handler(piece, digest, err); });
	}

	// --- whole-torrent jobs -------------------------------------------------

	void async_move_storage(storage_index_t, std::string, move_flags_t
		, std::function<void(status_t, std::string const&,
			storage_error const&)> handler) override
	{
		// RAM has no path to move to
		storage_error err;
		err.ec = boost::asio::error::operation_not_supported;
		post(m_ioc, [handler, err]
			{ handler(status_t::fatal_disk_error, std::string(), err); });
	}

	void async_release_files(storage_index_t storage
		, std::function<void()> handler) override
	{
		// memfix(release-accounting): libtorrent releases a torrent's files to close them
		// and flush caches (the torrent finished, flush_cache, save_resume_data with
		// flush_disk_cache, force_recheck), not to drop its data: in RAM there is nothing
		// to close or flush, so every piece stays. async_delete_files and remove_torrent
		// are what free pieces.
		if (handler) post(m_ioc, handler);
	}

	void async_check_files(storage_index_t, add_torrent_params const*
		, aux::vector<std::string, file_index_t>
		, std::function<void(status_t, storage_error const&)> handler) override
	{
		// nothing on disk, so nothing to verify
		post(m_ioc, [handler] { handler(status_t::no_error, storage_error()); });
	}

	void async_stop_torrent(storage_index_t
		, std::function<void()> handler) override
	{
		if (handler) post(m_ioc, handler);
	}

	void async_rename_file(storage_index_t, file_index_t const index
		, std::string name
		, std::function<void(std::string const&, file_index_t,
			storage_error const&)> handler) override
	{
		// names are not stored; just acknowledge
		post(m_ioc, [handler, name, index] { handler(name, index, storage_error()); });
	}

	void async_delete_files(storage_index_t storage, remove_flags_t
		, std::function<void(storage_error const&)> handler) override
	{
		{
			std::lock_guard<std::mutex> l(m_mutex);
			if (storage < m_torrents.end_index()
				&& m_torrents[storage])
				m_torrents[storage]->drop_all_pieces(); // all pieces
		}
		post(m_ioc, [handler] { handler(storage_error{}); });
	}

	void async_set_file_priority(storage_index_t
		, aux::vector<download_priority_t, file_index_t> prio
		, std::function<void(storage_error const&
			, aux::vector<download_priority_t, file_index_t>)> handler) override
	{
		post(m_ioc, [handler, prio]() mutable
			{ handler(storage_error(), std::move(prio)); });
	}

	void async_clear_piece(storage_index_t storage, piece_index_t const piece
		, std::function<void(piece_index_t)> handler) override
	{
		{
			std::lock_guard<std::mutex> l(m_mutex);
			if (storage < m_torrents.end_index()
				&& m_torrents[storage])
				m_torrents[storage]->evict_one(piece);
		}
		post(m_ioc, [handler, piece] { handler(piece); });
	}

	// --- housekeeping -------------------------------------------------------

	void update_stats_counters(counters&) const override
	{}

	std::vector<open_file_state>
	get_status(storage_index_t) const override
	{
		return std::vector<open_file_state>();
	}

	void abort(bool) override
	{
		// every job finishes inline, so there is nothing to wait for
		m_abort = true;
	}

	void submit_jobs() override {}

	void settings_updated() override {}

	// buffer_allocator_interface: the bytes belong to memory_storage
	void free_disk_buffer(char*) override
	{
	}

	// --- lookbehind, called from Go through disk_interface.i ----------------

	void set_lookbehind_pieces(storage_index_t const storage
		, std::vector<int> const& pieces)
	{
		std::lock_guard<std::mutex> l(m_mutex);
		if (memory_storage* t = storage_at(storage))
			t->set_lookbehind_pieces(pieces);
	}

	void clear_lookbehind(storage_index_t const storage)
	{
		std::lock_guard<std::mutex> l(m_mutex);
		if (memory_storage* t = storage_at(storage))
			t->clear_lookbehind();
	}

	bool is_lookbehind_available(storage_index_t const storage
		, int const piece) const
	{
		std::lock_guard<std::mutex> l(m_mutex);
		memory_storage const* t = storage_at(storage);
		return t != nullptr && t->is_lookbehind_available(piece);
	}

	void get_lookbehind_stats(storage_index_t const storage
		, int& available, int& protected_count
		, std::int64_t& memory) const
	{
		std::lock_guard<std::mutex> l(m_mutex);
		available = 0;
		protected_count = 0;
		memory = 0;
		if (memory_storage const* t = storage_at(storage))
		{
			available = t->get_lookbehind_available_count();
			protected_count = t->get_lookbehind_protected_count();
			memory = t->get_lookbehind_memory_used();
		}
	}

private:
	// the storage in a slot, or null; m_mutex must be held
	memory_storage* storage_at(storage_index_t const storage) const
	{
		if (storage >= m_torrents.end_index()) return nullptr;
		return m_torrents[storage].get();
	}
};

// The disk_io_constructor to put in session_params.
std::unique_ptr<disk_interface> memory_disk_constructor(io_context& ioc,
	settings_interface const&, counters&)
{
	return std::unique_ptr<disk_interface>(new memory_disk_io(ioc));
}

} // namespace libtorrent

#endif // MEMFIX_SAMPLE_MEMORY_DISK_IO_HPP
