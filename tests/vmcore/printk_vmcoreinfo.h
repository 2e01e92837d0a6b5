// The printk part of a real 6.1 x86-64 VMCOREINFO (lockless ring buffer), shared by the printk
// reader's tests and its fuzz target, which build small rings in FakeMemory against it.
#pragma once

#include <string_view>

namespace ktriage::testing {

// Verbatim from the Debian 6.1.0-50-cloud-amd64 dumps.
inline constexpr std::string_view kLocklessInfo =
    "OSRELEASE=6.1.0-50-cloud-amd64\n"
    "SYMBOL(prb)=ffffffff82a62540\n"
    "SYMBOL(printk_rb_static)=ffffffff82a62560\n"
    "SYMBOL(clear_seq)=ffffffff83311200\n"
    "SIZE(printk_ringbuffer)=88\n"
    "OFFSET(printk_ringbuffer.desc_ring)=0\n"
    "OFFSET(printk_ringbuffer.text_data_ring)=48\n"
    "OFFSET(printk_ringbuffer.fail)=80\n"
    "SIZE(prb_desc_ring)=48\n"
    "OFFSET(prb_desc_ring.count_bits)=0\n"
    "OFFSET(prb_desc_ring.descs)=8\n"
    "OFFSET(prb_desc_ring.infos)=16\n"
    "OFFSET(prb_desc_ring.head_id)=24\n"
    "OFFSET(prb_desc_ring.tail_id)=32\n"
    "SIZE(prb_desc)=24\n"
    "OFFSET(prb_desc.state_var)=0\n"
    "OFFSET(prb_desc.text_blk_lpos)=8\n"
    "SIZE(prb_data_blk_lpos)=16\n"
    "OFFSET(prb_data_blk_lpos.begin)=0\n"
    "OFFSET(prb_data_blk_lpos.next)=8\n"
    "SIZE(printk_info)=88\n"
    "OFFSET(printk_info.seq)=0\n"
    "OFFSET(printk_info.ts_nsec)=8\n"
    "OFFSET(printk_info.text_len)=16\n"
    "OFFSET(printk_info.caller_id)=20\n"
    "OFFSET(printk_info.dev_info)=24\n"
    "SIZE(dev_printk_info)=64\n"
    "OFFSET(dev_printk_info.subsystem)=0\n"
    "LENGTH(printk_info_subsystem)=16\n"
    "OFFSET(dev_printk_info.device)=16\n"
    "LENGTH(printk_info_device)=48\n"
    "SIZE(prb_data_ring)=32\n"
    "OFFSET(prb_data_ring.size_bits)=0\n"
    "OFFSET(prb_data_ring.data)=8\n"
    "OFFSET(prb_data_ring.head_lpos)=16\n"
    "OFFSET(prb_data_ring.tail_lpos)=24\n"
    "SIZE(atomic_long_t)=8\n"
    "OFFSET(atomic_long_t.counter)=0\n";

}  // namespace ktriage::testing
