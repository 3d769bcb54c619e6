// SPDX-License-Identifier: Apache-2.0
// InternedDetails<Entry>: gives each distinct detailed error (an Entry, keyed by a string) a small
// 1-based id, so that a std::error_code of a module's detail category can carry its message.
// Append-only, deduplicated and capped, so a retry loop cannot grow it without bound.
// InternedDetailCategory<Entry> is that detail category. Any thread.
#pragma once

#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <system_error>
#include <unordered_map>

namespace parley {

template <class Entry>
class InternedDetails {
public:
    explicit InternedDetails(std::size_t max_entries) : max_entries_(max_entries) {}

    // The id of `entry` under `key` (the same id for the same key), or -1 when the table is full.
    int intern(std::string key, Entry entry) {
        std::lock_guard lock(mutex_);
        if (auto it = index_.find(key); it != index_.end())
            return it->second;
        if (entries_.size() >= max_entries_)
            return -1;
        entries_.push_back(std::move(entry));
        const int id = static_cast<int>(entries_.size());  // 1-based: 0 means "no error"
        index_.emplace(std::move(key), id);
        return id;
    }

    // Copies, because the caller reads outside the lock.
    bool lookup(int id, Entry& out) const {
        std::lock_guard lock(mutex_);
        if (id < 1 || static_cast<std::size_t>(id) > entries_.size())
            return false;
        out = entries_[static_cast<std::size_t>(id) - 1];
        return true;
    }

private:
    const std::size_t max_entries_;
    mutable std::mutex mutex_;
    std::deque<Entry> entries_;
    std::unordered_map<std::string, int> index_;
};

// The error category of a module's detailed codes: each value is an InternedDetails id, and
// message() is that entry's `message` member.
template <class Entry>
class InternedDetailCategory : public std::error_category {
public:
    InternedDetailCategory(const char* name, const char* unknown_message, std::size_t max_entries)
        : name_(name), unknown_message_(unknown_message), details_(max_entries) {}

    const char* name() const noexcept override { return name_; }
    std::string message(int ev) const override {
        Entry entry{};
        return details_.lookup(ev, entry) ? entry.message : unknown_message_;
    }

    // A code for `entry` (the same code for the same key), or nothing when the table is full.
    std::optional<std::error_code> make(std::string key, Entry entry) const {
        const int id = details_.intern(std::move(key), std::move(entry));
        if (id < 0)
            return std::nullopt;
        return std::error_code(id, *this);
    }

    // The entry behind `ec` when it is one of this category's codes.
    std::optional<Entry> find(const std::error_code& ec) const noexcept {
        if (ec.category() != *this)
            return std::nullopt;
        try {
            Entry entry{};
            if (details_.lookup(ec.value(), entry))
                return entry;
        } catch (...) {
        }
        return std::nullopt;
    }

private:
    const char* name_;
    const char* unknown_message_;
    mutable InternedDetails<Entry> details_;
};

}  // namespace parley
