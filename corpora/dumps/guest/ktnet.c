// ktnet: the two rtnetlink requests the guest needs that busybox `ip` cannot make
// (veth with numtxqueues, moving a link into another process's netns). Built with gcc -static.
#include <errno.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct request {
    struct nlmsghdr hdr;
    struct ifinfomsg ifi;
    char attrs[1024];
};

static struct rtattr *attr_put(struct nlmsghdr *hdr, unsigned short type, const void *data,
                               size_t len) {
    struct rtattr *rta = (struct rtattr *)((char *)hdr + NLMSG_ALIGN(hdr->nlmsg_len));
    rta->rta_type = type;
    rta->rta_len = RTA_LENGTH(len);
    if (len) memcpy(RTA_DATA(rta), data, len);
    hdr->nlmsg_len = NLMSG_ALIGN(hdr->nlmsg_len) + RTA_ALIGN(rta->rta_len);
    return rta;
}

static void attr_end(struct nlmsghdr *hdr, struct rtattr *nest) {
    nest->rta_len = (unsigned short)((char *)hdr + hdr->nlmsg_len - (char *)nest);
}

static int talk(struct request *req) {
    int fd = socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
    if (fd < 0) { perror("ktnet: socket"); return 1; }
    struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
    if (sendto(fd, req, req->hdr.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0) {
        perror("ktnet: sendto");
        return 1;
    }
    char buf[4096];
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    close(fd);
    if (n < 0) { perror("ktnet: recv"); return 1; }
    struct nlmsghdr *ack = (struct nlmsghdr *)buf;
    if (ack->nlmsg_type == NLMSG_ERROR) {
        struct nlmsgerr *err = NLMSG_DATA(ack);
        if (err->error) { fprintf(stderr, "ktnet: %s\n", strerror(-err->error)); return 1; }
    }
    return 0;
}

static void start(struct request *req, unsigned short flags) {
    memset(req, 0, sizeof *req);
    req->hdr.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
    req->hdr.nlmsg_type = RTM_NEWLINK;
    req->hdr.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
    req->ifi.ifi_family = AF_UNSPEC;
}

// ktnet veth NAME TXQ PEER TXQ
static int make_veth(char **argv) {
    struct request req;
    start(&req, NLM_F_CREATE | NLM_F_EXCL);
    unsigned int txq = (unsigned int)atoi(argv[1]), peer_txq = (unsigned int)atoi(argv[3]);
    attr_put(&req.hdr, IFLA_IFNAME, argv[0], strlen(argv[0]) + 1);
    attr_put(&req.hdr, IFLA_NUM_TX_QUEUES, &txq, sizeof txq);
    attr_put(&req.hdr, IFLA_NUM_RX_QUEUES, &txq, sizeof txq);
    struct rtattr *linkinfo = attr_put(&req.hdr, IFLA_LINKINFO, NULL, 0);
    attr_put(&req.hdr, IFLA_INFO_KIND, "veth", 4);
    struct rtattr *data = attr_put(&req.hdr, IFLA_INFO_DATA, NULL, 0);
    struct rtattr *peer = attr_put(&req.hdr, VETH_INFO_PEER, NULL, 0);
    struct ifinfomsg peer_ifi = {.ifi_family = AF_UNSPEC};
    // The peer's ifinfomsg is raw payload inside VETH_INFO_PEER, followed by its attributes.
    memcpy(RTA_DATA(peer), &peer_ifi, sizeof peer_ifi);
    req.hdr.nlmsg_len += NLMSG_ALIGN(sizeof peer_ifi);
    attr_put(&req.hdr, IFLA_IFNAME, argv[2], strlen(argv[2]) + 1);
    attr_put(&req.hdr, IFLA_NUM_TX_QUEUES, &peer_txq, sizeof peer_txq);
    attr_put(&req.hdr, IFLA_NUM_RX_QUEUES, &peer_txq, sizeof peer_txq);
    attr_end(&req.hdr, peer);
    attr_end(&req.hdr, data);
    attr_end(&req.hdr, linkinfo);
    return talk(&req);
}

// ktnet netns NAME PID
static int move_to_netns(char **argv) {
    struct request req;
    start(&req, 0);
    req.ifi.ifi_index = (int)if_nametoindex(argv[0]);
    if (!req.ifi.ifi_index) { fprintf(stderr, "ktnet: no link %s\n", argv[0]); return 1; }
    unsigned int pid = (unsigned int)atoi(argv[1]);
    attr_put(&req.hdr, IFLA_NET_NS_PID, &pid, sizeof pid);
    return talk(&req);
}

int main(int argc, char **argv) {
    if (argc == 6 && !strcmp(argv[1], "veth")) return make_veth(argv + 2);
    if (argc == 4 && !strcmp(argv[1], "netns")) return move_to_netns(argv + 2);
    fprintf(stderr, "usage: ktnet veth NAME TXQ PEER PEER_TXQ | ktnet netns NAME PID\n");
    return 2;
}
