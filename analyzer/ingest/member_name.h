// Names of archive members as people see them: `outer.tar.gz!dir/kern.log`, nested
// `a.tar!b.tar.gz!x.log`. A member's name is untrusted text: it is shown escaped and never used
// to open or write a file.
#pragma once

#include <string>
#include <string_view>

namespace ktriage {

// The separator between a container and its member in an input's name.
inline constexpr char kMemberSeparator = '!';

// `raw` (an archive's member name) made safe to print on one line: leading "./" dropped; control
// characters, invalid UTF-8, '\\' and '!' (our separator) written as \xNN.
std::string SafeMemberName(std::string_view raw);

// "container!member" from a container's name and a member name already made safe.
std::string JoinMember(std::string_view container, std::string_view safe_member);

// Why a member name is refused, "" when it is fine: an absolute path, a ".." component or control
// characters. Such members are reported as failed inputs and never read: nothing about them can be
// trusted, and a person should look at the archive.
std::string UnsafeMemberReason(std::string_view raw);

}  // namespace ktriage
