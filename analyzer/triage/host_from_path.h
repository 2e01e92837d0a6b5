// The host an input came from, as its path tells it (when its log does not name one).
#pragma once

#include <string>
#include <string_view>

namespace ktriage::triage {

// Looked for from the outermost component inwards, first match wins, in this order of trust:
// the component after a directory named `hosts`, `host`, `nodes` or `servers`; a sosreport's
// `sosreport-<host>[-<case id: 5+ digits>]-<YYYY-MM-DD>-<id>`; a RHEL kdump directory `<ip>-<YYYY-MM-DD-HH:MM:SS>`.
// "" when none. `path` may name an archive member (`a.tar!sosreport-web1-.../var/log/messages`).
std::string HostFromPath(std::string_view path);

}  // namespace ktriage::triage
