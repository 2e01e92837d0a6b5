// Compiles the report classes once; every regex is validated here so that a bad catalog entry
// is an error at start-up (and in the unit tests), never a silent non-match later.
#include "analyzer/report/report_catalog.h"

#include "analyzer/report/report_catalog_internal.h"

#include <algorithm>
#include <cstring>

namespace ktriage {
namespace {

void ReplaceAll(std::string& s, std::string_view from, std::string_view to) {
  for (size_t pos = 0; (pos = s.find(from, pos)) != std::string::npos; pos += to.size()) s.replace(pos, from.size(), to);
}

// Function names that never make a crash signature, whatever the report: sanitizer runtimes,
// printing, locking, generic helpers, device/driver plumbing. Signatures are hashed from the
// frames this leaves, so changing it changes every signature: it is not the titles' list.
const char* const kGenericSkip[] = {
    "__sanitizer", "__asan", "kasan", "__msan", "kmsan", "kcsan_", "check_memory_region", "read_word_at_a_time",
    "print_address_description", "panic", "invalid_op", "report_bug", "fixup_bug", "do_error", "^do_trap",
    "_trap$", "handle_bug", "exc_invalid_op", "asm_exc_", "dump_stack", "show_stack", "warn_slowpath", "warn_alloc", "__warn",
    "debug_object", "timer_is_static_object", "work_is_static_object", "lockdep", "perf_trace", "lock_acquire",
    "lock_release", "lock_class", "reacquire_held_locks", "mark_lock", "spin_lock", "spin_trylock", "spin_unlock",
    "raw_read_lock", "raw_read_trylock", "raw_write_lock", "raw_write_trylock", "^down$", "^down_read", "^down_write",
    "^up_read", "^up_write", "mutex_lock", "mutex_trylock", "mutex_unlock", "mutex_remove_waiter", "osq_lock",
    "osq_unlock", "__wake_up", "refcount_add", "refcount_sub", "refcount_inc", "refcount_dec", "refcount_set",
    "refcount_read", "refcount_warn", "memcpy", "memcmp", "memset", "memchr", "memmove", "strcmp", "strncmp", "strcpy",
    "strlcpy", "strncpy", "strscpy", "strlen", "strnstr", "strnlen", "strchr", "copy_to_user", "copy_from_user",
    "put_user", "get_user", "might_fault", "might_sleep", "list_add", "list_del", "list_replace", "list_move",
    "list_splice", "_indirect_thunk_", "string", "pointer", "snprintf", "scnprintf", "kasprintf", "kvasprintf",
    "printk", "va_format", "dev_info", "dev_notice", "dev_warn", "dev_err", "dev_alert", "dev_crit", "dev_emerg",
    "program_check_exception", "program_check_common", "del_timer", "flush_work", "__cancel_work_timer",
    "cancel_work_sync", "try_to_grab_pending", "flush_workqueue", "drain_workqueue", "destroy_workqueue",
    "finish_wait", "kthread_stop", "kobject_del", "kobject_put", "kobject_uevent_env", "add_uevent_var",
    "get_device_parent", "device_add", "device_del", "device_unregister", "device_destroy", "device_release",
    "devres_release_all", "hwrng_unregister", "i2c_del_adapter", "__unregister_client", "device_for_each_child",
    "rollback_registered", "unregister_netdev", "sysfs_remove", "device_remove_file", "tty_unregister_device",
    "dummy_urb_enqueue", "usb_kill_urb", "usb_kill_anchored_urbs", "usb_control_msg", "usb_hcd_submit_urb",
    "usb_submit_urb", "^complete$", "wait_for_completion", "^kfree$", "kfree_skb", "sanitizer_cov", "__ubsan",
    "ubsan_epilogue", "^kvfree$", "^vfree$", "^kcalloc$", "slab_free", "kmem_cache_free", "^__kmalloc$",
    "arch_stack_walk", "stack_trace_save", "stack_depot", "kmemleak_", "should_fail", "fail_dump", "rcu_is_watching",
    "find_held_lock", "validate_chain", "check_noncircular", "check_prev_add", "__lock_acquire", "__lock_release",
    "native_queued_spin_lock_slowpath", "queued_spin_lock_slowpath", "__x86_return_thunk", "__x86_indirect",
    "__asan_report", "__kasan", "kasan_report", "end_report", "start_report", "__report", "print_report",
    "check_preemption_disabled", "__schedule_bug", "preempt_count_add", "preempt_count_sub",
    // Allocation, tree and container helpers: the bug is in their caller.
    "__alloc_pages", "^alloc_pages", "kmem_cache_alloc", "^kmalloc", "^krealloc", "free_large_kmalloc", "__might_resched",
    "__might_sleep", "___might_sleep", "^rb_erase", "^rb_insert", "^rb_first", "^rb_next", "^__rb_", "^klist_",
    "^xas_", "^atomic_", "^_atomic_", "mutex_optimistic_spin", "down_trylock", "stack_trace_consume_entry",
    "__read_once_word_nocheck", "warn_bogus_irq_restore", "ref_tracker_dir_exit", "__check_heap_object",
    "__check_object_size", "^assertfail", "^skb_put$", "^skb_push$", "skb_over_panic", "skb_under_panic",
    "^hex_dump", "^crc_", "task_blocks_on_rt_mutex", "rt_mutex_slowlock", "^__do_kernel_fault",
    // arm64 exception entry and fault handling.
    "^dump_backtrace", "^do_tag_check_fault", "^do_mem_abort", "^el1_abort", "^el1_sync", "^el1h_64_sync",
    "^el1_da", "^do_translation_fault", "^do_bad_area", "^__do_page_fault", "^do_el1_", "^el1_dbg", "^el1_interrupt",
    "^el1h_64_irq", "^call_on_irq_stack", "^do_interrupt_handler",
    // 6.10+ allocation-profiling wrappers.
    "_noprof$", "__alloc_frozen_pages", "kmalloc_large",
    // Sanitizer, tracing and stack-walking helpers; generic containers and kernel plumbing whose
    // assertions fire on their caller's bug.
    "__hwasan", "trace_hardirqs", "walk_stackframe", "unwind_backtrace", "fortify", "hex_dump", "^ida_free$",
    "^rhashtable_lookup", "^folio_unlock$", "^kobject_", "^__queue_work$", "^insert_work$", "^queue_work",
    "^cleanup_srcu_struct$",
};

// Frames a title never names (matched anywhere in the name, as syzkaller does), grouped by why:
// the bug is in the caller of each.
const char* const kTitleSkip[] = {
    // Sanitizer runtimes and their reporting.
    "__sanitizer", "__asan", "kasan", "hwasan", "__msan", "kmsan", "kcsan_setup_watchpoint", "check_memory_region",
    "check_heap_object", "check_object", "read_word_at_a_time", "(read|write)_once_.*nocheck",
    "print_address_description", "print_report", "print_usage_bug", "print_unlock", "imbalance_bug", "__fortify_report",
    // Traps, panics, warnings and stack dumping.
    "panic", "invalid_op", "report_bug", "fixup_bug", "do_error", "_trap$|do_trap", "show_stack", "dump_stack",
    "walk_stack", "dump_backtrace", "warn_slowpath", "warn_alloc", "warn_bogus", "__warn", "print_tainted",
    "^get_taint$", "program_check_exception", "program_check_common", "assertfail", "stack_trace_consume_entry",
    "arch_stack_walk", "stack_trace_save",
    // Allocation and the page cache.
    "alloc_page", "k?v?(?:m|z|c)alloc", "krealloc", "kmem_cache", "allocate_slab", "__alloc_frozen_pages_noprof",
    "folio_(?:alloc|unlock)", "filemap_alloc_folio", "__filemap_get_folio", "find_or_create_page",
    "do_read_cache_folio", "read_cache_page", "pagecache_get_page", "grab_cache_page_write_begin", "slab_",
    "^kv?free$", "kfree_skb", "^(un)?lock_page", "xas_(?:start|load|find)", "find_lock_entries",
    "truncate_inode_pages_range", "__phys_addr",
    // Debug objects, lockdep and locking primitives.
    "debug_object", "timer_is_static_object", "work_is_static_object", "__might_fault", "lockdep", "bh_enable",
    "bh_disable", "perf_trace", "lock_acquire", "lock_release", "lock_class", "mark_lock", "(reacquire|mark)_held_locks",
    "raw_spin_rq", "spin_lock", "spin_trylock", "spin_unlock", "read_lock", "read_trylock", "write_lock",
    "write_trylock", "read_unlock", "write_unlock", "^down$", "down_read", "down_write", "down_read_trylock",
    "down_write_trylock", "down_trylock", "up_read", "up_write", "^mutex_", "^__mutex_", "^rt_mutex_", "owner_on_cpu",
    "osq_lock", "osq_unlock", "(trace|lockdep)_(hard|soft)irq", "seqprop_assert", "__might_resched", "might_fault",
    "might_sleep",
    // Atomics, bit operations, reference counts.
    "atomic(64)?_(dec|inc|read|set|or|xor|and|add|sub|fetch|xchg|cmpxchg|try)", "(set|clear|change|test)_bit",
    "__wake_up", "^refcount_", "^kref_", "ref_tracker",
    // String, memory and user-copy helpers, checksums, formatting.
    "memcpy", "memcmp", "memset", "memchr", "memmove", "memdup", "strcmp", "strncmp", "strcpy", "strlcpy", "strncpy",
    "strscpy", "strlen", "strstr", "strnstr", "strnlen", "strchr", "strdup", "strndup", "copy_to_user",
    "copy_from_user", "copy_to_iter", "copy_from_iter", "copy_page_to_iter", "copy_page_from_iter",
    "copy_folio_to_iter", "^copyin$", "^copyout$", "put_user", "get_user", "extract_(user|iter)_to_sg", "^crc\\d+",
    "crc_itu_t", "hex_dump_to_buffer", "print_hex_dump", "_indirect_thunk_", "string", "pointer", "snprintf",
    "scnprintf", "kasprintf", "kvasprintf", "printk", "va_format", "dev_info", "dev_notice", "dev_warn", "dev_err",
    "dev_alert", "dev_crit", "dev_emerg",
    // MMIO accessors.
    "readb$", "readw$", "readl$", "readq$", "writeb$", "writew$", "writel$", "writeq$", "logic_in", "logic_out",
    // Containers.
    "list_add", "list_del", "list_replace", "list_move", "list_splice", "^rb_", "^__rb_", "^klist_",
    "rhashtable_lookup", "ida_free",
    // Timers, work items, completions and waits.
    "del_timer", "lock_timer_base", "__timer_delete_sync", "sk_stop_timer_sync", "__mod_timer", "flush_work",
    "__cancel_work_timer", "cancel_work_sync", "try_to_grab_pending", "flush_workqueue", "drain_workqueue",
    "destroy_workqueue", "queue_work", "insert_work", "__queue_delayed_work", "queue_delayed_work_on", "finish_wait",
    "kthread_stop", "^complete$", "wait_for_completion", "cleanup_srcu_struct",
    // Device model, kobjects, inodes and dentries: their checks fire on their users' bugs.
    "kobject_", "add_uevent_var", "get_device_parent", "device_add", "device_del", "device_unregister",
    "device_destroy", "device_release", "devres_release_all", "hwrng_unregister", "i2c_del_adapter",
    "__unregister_client", "device_for_each_child", "rollback_registered", "unregister_netdev", "sysfs_remove",
    "device_remove_file", "tty_unregister_device", "^put_device$", "^iput$", "^iput_final$", "^ihold$",
    "drop_nlink", "fast_dput", "dput",
    // USB plumbing.
    "dummy_urb_enqueue", "usb_kill_urb", "usb_kill_anchored_urbs", "usb_control_msg", "usb_hcd_submit_urb",
    "usb_submit_urb",
    // arm64's path from a translation fault to the handler.
    "do_(kernel|translation)_fault", "do_mem_abort", "el1_abort", "el1h_64_sync(?:_handler)?",
};

std::string JoinPatterns(const char* const* begin, const char* const* end) {
  std::string s;
  for (const char* const* p = begin; p != end; ++p) {
    if (!s.empty()) s += '|';
    s += *p;
  }
  return s;
}

// These may appear in the middle of a report without starting another one.
const char* const kContinuationStarts[] = {
    "invalid opcode: 0000", "Kernel panic - not syncing", "unregister_netdevice: waiting for", "PANIC: double fault",
    "Internal error:", ": page allocation failure:", "invoked oom-killer:", "Out of memory: Kill", "NMI backtrace for cpu",
    "Memory cgroup out of memory:",
    // perf script prints its heading on every line of a callchain; ftrace's and bpftrace's stacks
    // each have their own heading, and each is a report.
    "([kernel.kallsyms])",
    // Second lines of reports that print two headers; a Rust panic ends in BUG() of its helper.
    "kernel stack overflow", "kernel BUG at lib/list_debug.c", "kernel BUG at rust/helpers/bug.c",
};

}  // namespace

std::string ExpandCatalogRegex(std::string_view re) {
  std::string s(re);
  ReplaceAll(s, "{{RIP}}",
             "(?:IP|NIP|pc |PC is at):? (?:(?:[0-9]+:)?(?:{{PC}} +){0,2}{{FUNC}}|(?:[0-9]+:)?0x[0-9a-f]+|"
             "(?:[0-9]+:)?{{PC}} +\\[< *\\(null\\)>\\] +\\(null\\)|[0-9]+: +\\(null\\))");
  ReplaceAll(s, "{{ADDR}}", "0x[0-9a-f]+");
  ReplaceAll(s, "{{PC}}", "\\[<?(?:0x)?[0-9a-f]+>?\\]");
  ReplaceAll(s, "{{FUNC}}", "([a-zA-Z0-9_]+)(?:\\.|\\+)");
  ReplaceAll(s, "{{SRC}}", "([a-zA-Z0-9-_/.]+\\.[a-z]+:[0-9]+)");
  return s;
}

std::string LiteralPrefix(std::string_view re) {
  std::string lit;
  for (char c : re) {
    if (std::string_view(".[]()\\*+?{}|^$").find(c) != std::string_view::npos) break;
    lit += c;
  }
  // A quantifier after the prefix may apply to its last character ("ab?"): drop that character.
  if (lit.size() < re.size() && std::string_view("*+?{").find(re[lit.size()]) != std::string_view::npos && !lit.empty())
    lit.pop_back();
  return lit.size() >= 4 ? lit : std::string();
}

re2::RE2::Options CatalogRegexOptions() {
  re2::RE2::Options o;
  o.set_log_errors(false);
  o.set_max_mem(64 << 20);
  return o;
}

namespace {

Result<std::unique_ptr<re2::RE2>> CompileRegex(std::string_view re, std::string_view where) {
  auto r = std::make_unique<re2::RE2>(ExpandCatalogRegex(re), CatalogRegexOptions());
  if (!r->ok()) return Error{std::string(where) + ": bad regex '" + std::string(re) + "': " + r->error()};
  return r;
}

std::string QuoteAlternation(const std::vector<std::string>& literals) {
  std::string s;
  for (const auto& l : literals) {
    if (!s.empty()) s += '|';
    s += re2::RE2::QuoteMeta(l);
  }
  return s;
}

constexpr size_t kBloomBits = 1 << 16;
constexpr size_t kBloomWords = kBloomBits / 64;

uint32_t BloomHash(const char* p) {
  uint32_t v = static_cast<uint32_t>(static_cast<unsigned char>(p[0])) |
               static_cast<uint32_t>(static_cast<unsigned char>(p[1])) << 8 |
               static_cast<uint32_t>(static_cast<unsigned char>(p[2])) << 16;
  return (v * 2654435761u) >> 16;  // Knuth's multiplicative hash, top 16 bits
}

}  // namespace

ReportCatalog::ReportCatalog() = default;
ReportCatalog::~ReportCatalog() = default;

Result<std::shared_ptr<const ReportCatalog>> ReportCatalog::Create() { return Create(BuiltinReportClasses()); }

Result<std::shared_ptr<const ReportCatalog>> ReportCatalog::Create(std::vector<ReportClass> classes) {
  std::shared_ptr<ReportCatalog> cat(new ReportCatalog());
  std::vector<std::string> headers;
  const std::string generic_skip = JoinPatterns(std::begin(kGenericSkip), std::end(kGenericSkip));
  const std::string title_skip = JoinPatterns(std::begin(kTitleSkip), std::end(kTitleSkip));
  for (auto& rc : classes) {
    auto cc = std::make_unique<CompiledClass>();
    cc->source = std::move(rc);
    headers.push_back(cc->source.header);
    const std::string where = "report class '" + cc->source.header + "'";
    for (const auto& s : cc->source.suppressions) {
      auto r = CompileRegex(s, where);
      if (!r) return r.error();
      cc->suppressions.push_back(std::move(*r));
    }
    for (const auto& tf : cc->source.formats) {
      CompiledFormat f;
      f.source = &tf;
      auto t = CompileRegex(tf.title, where);
      if (!t) return t.error();
      f.title = std::move(*t);
      f.title_literal = LiteralPrefix(tf.title);
      if (!tf.report.empty()) {
        auto r = CompileRegex(tf.report, where);
        if (!r) return r.error();
        f.report = std::move(*r);
      }
      if (tf.has_stack) {
        auto st = std::make_unique<CompiledStack>();
        auto compile_parts = [&](const std::vector<std::string>& src,
                                 std::vector<std::unique_ptr<re2::RE2>>& dst) -> Status {
          for (const auto& p : src) {
            if (p == "@stack") {
              dst.push_back(nullptr);
              continue;
            }
            auto r = CompileRegex(p, where);
            if (!r) return r.error();
            dst.push_back(std::move(*r));
          }
          return Ok{};
        };
        if (auto st_ok = compile_parts(tf.stack.parts, st->parts); !st_ok) return st_ok.error();
        for (const auto& fb : tf.stack.fallbacks) {
          st->fallbacks.emplace_back();
          if (auto fb_ok = compile_parts(fb, st->fallbacks.back()); !fb_ok) return fb_ok.error();
        }
        // Only the format's own patterns: the common ones are one shared regex (title_skip_frames),
        // whose lazily built DFA then serves every format instead of warming up once per format.
        std::string skip;
        for (const auto& s : tf.stack.skip) skip += (skip.empty() ? "" : "|") + s;
        if (!skip.empty()) {
          auto sk = CompileRegex(skip, where);
          if (!sk) return sk.error();
          st->skip = std::move(*sk);
        }
        st->extractor = tf.stack.extractor;
        f.stack = std::move(st);
      }
      cc->formats.push_back(std::move(f));
    }
    cat->classes_.push_back(std::move(cc));
  }
  // Formats point into their class's `source`, which moved into the CompiledClass: re-point them.
  for (auto& cc : cat->classes_)
    for (size_t i = 0; i < cc->formats.size(); ++i) cc->formats[i].source = &cc->source.formats[i];

  if (headers.size() > 64) return Error{"report catalog: more than 64 classes"};
  cat->header_bloom_.assign(kBloomWords, 0);
  cat->min_header_len_ = SIZE_MAX;
  for (size_t i = 0; i < headers.size(); ++i) {
    const auto& h = headers[i];
    if (h.size() < 4) {
      // Too short to search for inside lines ("@[", bpftrace's map key): the whole line must be it.
      if (h.empty()) return Error{"report class header is empty"};
      cat->whole_line_headers_.push_back({h, static_cast<uint16_t>(i)});
      continue;
    }
    cat->min_header_len_ = std::min(cat->min_header_len_, h.size());
    for (uint16_t off = 0; off < 2; ++off) {
      uint32_t b = BloomHash(h.data() + off);
      cat->header_bloom_[b >> 6] |= uint64_t{1} << (b & 63);
      cat->header_index_.push_back({b, static_cast<uint16_t>(i), off});
    }
  }
  std::sort(cat->header_index_.begin(), cat->header_index_.end());
  std::vector<std::string> cont(std::begin(kContinuationStarts), std::end(kContinuationStarts));
  cat->continuation_starts_ = std::make_unique<re2::RE2>(QuoteAlternation(cont), CatalogRegexOptions());
  cat->generic_frames_ = std::make_unique<re2::RE2>(generic_skip, CatalogRegexOptions());
  if (!cat->generic_frames_->ok()) return Error{"generic frames: " + cat->generic_frames_->error()};
  cat->title_skip_frames_ = std::make_unique<re2::RE2>(title_skip, CatalogRegexOptions());
  if (!cat->title_skip_frames_->ok()) return Error{"title skip frames: " + cat->title_skip_frames_->error()};
  return std::shared_ptr<const ReportCatalog>(std::move(cat));
}

uint64_t ReportCatalog::HeaderHits(std::string_view line) const {
  uint64_t hits = 0;
  if (line.size() < 4) {
    for (const auto& [header, index] : whole_line_headers_)
      if (line == header) hits |= uint64_t{1} << index;
  }
  if (line.size() < min_header_len_) return hits;
  for (size_t i = 0; i + 3 <= line.size(); i += 2) {
    uint32_t b = BloomHash(line.data() + i);
    if (!(header_bloom_[b >> 6] & (uint64_t{1} << (b & 63)))) continue;
    auto it = std::lower_bound(header_index_.begin(), header_index_.end(), HeaderWindow{b, 0, 0});
    for (; it != header_index_.end() && it->hash == b; ++it) {
      if (i < it->offset) continue;
      const size_t at = i - it->offset;
      const std::string& h = classes_[it->class_index]->source.header;
      if (line.size() - at >= h.size() && std::memcmp(line.data() + at, h.data(), h.size()) == 0)
        hits |= uint64_t{1} << it->class_index;
    }
  }
  return hits;
}

int ReportCatalog::FirstStart(std::string_view line, uint64_t hits) const {
  for (size_t i = 0; hits != 0 && i < classes_.size(); ++i) {
    if (!(hits & (uint64_t{1} << i))) continue;
    hits &= ~(uint64_t{1} << i);
    bool suppressed = false;
    for (const auto& s : classes_[i]->suppressions)
      if (re2::RE2::PartialMatch(line, *s)) {
        suppressed = true;
        break;
      }
    if (!suppressed) return static_cast<int>(i);
  }
  return -1;
}

bool ReportCatalog::IsContinuationStart(std::string_view line) const {
  return re2::RE2::PartialMatch(line, *continuation_starts_);
}

bool ReportCatalog::IsInfoWithStack(std::string_view line) const {
  return line.find("vmalloc: allocation failure:") != std::string_view::npos ||
         line.find("FAULT_INJECTION: forcing a failure") != std::string_view::npos ||
         line.find("FAULT_FLAG_ALLOW_RETRY missing") != std::string_view::npos;
}

}  // namespace ktriage
