//! What kind of address an outbound request would reach, so the policy can refuse the ones an attacker
//! points a webhook at (SSRF): the server itself, the private network behind it, cloud metadata.
//!
//! The ranges are the IANA special-purpose registries (RFC 6890 and successors). std's `is_global`,
//! `is_shared` and `is_benchmarking` are unstable, so the ranges are spelt out here.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Why an address is not an ordinary public one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AddressKind {
    /// 127/8, ::1: the server itself.
    Loopback,
    /// RFC 1918 (10/8, 172.16/12, 192.168/16), deprecated IPv6 site-local fec0::/10, local-use NAT64.
    Private,
    /// fc00::/7, IPv6's private addresses.
    UniqueLocal,
    /// 169.254/16, fe80::/10.
    LinkLocal,
    /// 100.64/10, carrier-grade NAT: a provider's private network.
    Shared,
    /// 198.18/15 and 2001:2::/48: lab networks.
    Benchmarking,
    /// A cloud provider's instance metadata service (credentials for the machine itself).
    Metadata,
    /// 0.0.0.0 and ::, which Linux connects to the local machine.
    Unspecified,
    /// 0/8 other than 0.0.0.0.
    ThisNetwork,
    /// 224/4, ff00::/8.
    Multicast,
    /// 255.255.255.255.
    Broadcast,
    /// 192.0.2/24, 198.51.100/24, 203.0.113/24, 2001:db8::/32, 3fff::/20: examples, never real hosts.
    Documentation,
    /// Anything else not meant as a destination: 240/4, 192.0.0/24, 192.88.99/24, 100::/64, 2001::/23,
    /// IPv6 outside 2000::/3.
    Reserved,
}

impl AddressKind {
    /// The kinds that make up private networks: `allow_private_targets` and the allowlist open these, and
    /// nothing else (multicast or the unspecified address are never a web server).
    pub fn is_private_network(self) -> bool {
        matches!(
            self,
            AddressKind::Loopback
                | AddressKind::Private
                | AddressKind::UniqueLocal
                | AddressKind::LinkLocal
                | AddressKind::Shared
                | AddressKind::Benchmarking
        )
    }

    /// The words that finish "resolves to 10.0.0.5, ...".
    pub fn describe(self) -> &'static str {
        match self {
            AddressKind::Loopback => "a loopback address (this server itself)",
            AddressKind::Private => "a private address",
            AddressKind::UniqueLocal => "a private (unique local) IPv6 address",
            AddressKind::LinkLocal => "a link-local address",
            AddressKind::Shared => "a shared (carrier-grade NAT) address",
            AddressKind::Benchmarking => "a benchmarking address",
            AddressKind::Metadata => "a cloud metadata service address",
            AddressKind::Unspecified => "the unspecified address (this server itself)",
            AddressKind::ThisNetwork => "a \"this network\" address",
            AddressKind::Multicast => "a multicast address",
            AddressKind::Broadcast => "the broadcast address",
            AddressKind::Documentation => "a documentation address",
            AddressKind::Reserved => "a reserved address",
        }
    }
}

/// Cloud instance metadata services: AWS, GCP, Azure, Oracle, DigitalOcean and others (169.254.169.254),
/// AWS ECS task metadata (169.254.170.2), Alibaba Cloud (100.100.100.200). They hand out the machine's
/// credentials, so even `allow_private_targets` does not open them.
const METADATA_V4: [Ipv4Addr; 3] = [
    Ipv4Addr::new(169, 254, 169, 254),
    Ipv4Addr::new(169, 254, 170, 2),
    Ipv4Addr::new(100, 100, 100, 200),
];

/// AWS's IPv6 instance metadata endpoint.
const METADATA_V6: [Ipv6Addr; 1] = [Ipv6Addr::new(0xfd00, 0x0ec2, 0, 0, 0, 0, 0, 0x0254)];

/// Names of metadata services, refused before any lookup (they resolve only inside the cloud, to the
/// addresses above, but a resolver there could answer anything).
pub const METADATA_HOSTS: [&str; 5] = [
    "metadata.google.internal",
    "metadata.goog",
    "metadata",
    "instance-data",
    "instance-data.ec2.internal",
];

/// An IPv4 address carried inside an IPv6 one, and how: the socket reaches (or is routed to) that IPv4
/// address, so it is judged by the IPv4 rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Embedded {
    /// ::ffff:a.b.c.d
    Mapped(Ipv4Addr),
    /// ::a.b.c.d (deprecated IPv4-compatible)
    Compatible(Ipv4Addr),
    /// 64:ff9b::a.b.c.d (NAT64 well-known prefix)
    Nat64(Ipv4Addr),
    /// 2002:aabb:ccdd::/48 (6to4)
    SixToFour(Ipv4Addr),
}

impl Embedded {
    pub fn ipv4(self) -> Ipv4Addr {
        match self {
            Embedded::Mapped(v4) | Embedded::Compatible(v4) | Embedded::Nat64(v4) | Embedded::SixToFour(v4) => v4,
        }
    }
}

/// The IPv4 address an IPv6 address carries, if any (`::` and `::1` carry none: they are IPv6's own).
pub fn embedded_ipv4(ip: Ipv6Addr) -> Option<Embedded> {
    let s = ip.segments();
    let tail = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    if let Some(v4) = ip.to_ipv4_mapped() {
        return Some(Embedded::Mapped(v4));
    }
    if s[..6] == [0; 6] && !ip.is_unspecified() && !ip.is_loopback() {
        return Some(Embedded::Compatible(tail));
    }
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return Some(Embedded::Nat64(tail));
    }
    if s[0] == 0x2002 {
        return Some(Embedded::SixToFour(Ipv4Addr::new(
            (s[1] >> 8) as u8,
            s[1] as u8,
            (s[2] >> 8) as u8,
            s[2] as u8,
        )));
    }
    None
}

/// What kind of address `ip` is, or `None` for an ordinary public (global unicast) address. An IPv6
/// address carrying an IPv4 one is judged by the IPv4 address.
pub fn classify(ip: IpAddr) -> Option<AddressKind> {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => match embedded_ipv4(v6) {
            Some(embedded) => classify_v4(embedded.ipv4()),
            None => classify_v6(v6),
        },
    }
}

fn in_v4(ip: Ipv4Addr, net: [u8; 4], prefix: u32) -> bool {
    let mask = if prefix == 0 { 0 } else { u32::MAX << (32 - prefix) };
    u32::from(ip) & mask == u32::from(Ipv4Addr::from(net)) & mask
}

fn in_v6(ip: Ipv6Addr, net: [u16; 8], prefix: u32) -> bool {
    let mask = if prefix == 0 { 0 } else { u128::MAX << (128 - prefix) };
    u128::from(ip) & mask == u128::from(Ipv6Addr::from(net)) & mask
}

fn classify_v4(ip: Ipv4Addr) -> Option<AddressKind> {
    use AddressKind::*;
    if METADATA_V4.contains(&ip) {
        return Some(Metadata);
    }
    let kind = if ip.is_unspecified() {
        Unspecified
    } else if in_v4(ip, [0, 0, 0, 0], 8) {
        ThisNetwork
    } else if ip.is_loopback() {
        Loopback
    } else if ip.is_private() {
        Private
    } else if in_v4(ip, [100, 64, 0, 0], 10) {
        Shared
    } else if ip.is_link_local() {
        LinkLocal
    } else if in_v4(ip, [198, 18, 0, 0], 15) {
        Benchmarking
    } else if ip.is_documentation() {
        Documentation
    } else if ip.is_multicast() {
        Multicast
    } else if ip.is_broadcast() {
        Broadcast
    } else if in_v4(ip, [240, 0, 0, 0], 4) || in_v4(ip, [192, 0, 0, 0], 24) || in_v4(ip, [192, 88, 99, 0], 24) {
        Reserved
    } else {
        return None;
    };
    Some(kind)
}

fn classify_v6(ip: Ipv6Addr) -> Option<AddressKind> {
    use AddressKind::*;
    if METADATA_V6.contains(&ip) {
        return Some(Metadata);
    }
    let kind = if ip.is_unspecified() {
        Unspecified
    } else if ip.is_loopback() {
        Loopback
    } else if ip.is_multicast() {
        Multicast
    } else if ip.is_unique_local() {
        UniqueLocal
    } else if ip.is_unicast_link_local() {
        LinkLocal
    } else if in_v6(ip, [0xfec0, 0, 0, 0, 0, 0, 0, 0], 10) || in_v6(ip, [0x64, 0xff9b, 1, 0, 0, 0, 0, 0], 48) {
        Private
    } else if in_v6(ip, [0x2001, 0x0db8, 0, 0, 0, 0, 0, 0], 32) || in_v6(ip, [0x3fff, 0, 0, 0, 0, 0, 0, 0], 20) {
        Documentation
    } else if in_v6(ip, [0x2001, 0x0002, 0, 0, 0, 0, 0, 0], 48) {
        Benchmarking
    } else if in_v6(ip, [0x2001, 0, 0, 0, 0, 0, 0, 0], 23)
        || in_v6(ip, [0x0100, 0, 0, 0, 0, 0, 0, 0], 64)
        || !in_v6(ip, [0x2000, 0, 0, 0, 0, 0, 0, 0], 3)
    {
        Reserved
    } else {
        return None;
    };
    Some(kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(s: &str) -> Option<AddressKind> {
        classify(s.parse().unwrap())
    }

    #[test]
    fn public_addresses_pass() {
        for ip in [
            "8.8.8.8",
            "93.184.216.34",
            "1.1.1.1",
            "2606:4700::1111",
            "2a00:1450:4001::1",
            "::ffff:8.8.8.8",
        ] {
            assert_eq!(kind(ip), None, "{ip}");
        }
    }

    #[test]
    fn every_special_range_is_named() {
        use AddressKind::*;
        let cases = [
            ("127.0.0.1", Loopback),
            ("127.255.255.254", Loopback),
            ("::1", Loopback),
            ("10.0.0.5", Private),
            ("172.16.0.1", Private),
            ("172.31.255.255", Private),
            ("192.168.1.1", Private),
            ("fec0::1", Private),
            ("64:ff9b:1::1", Private),
            ("fd00::1", UniqueLocal),
            ("fc00::1", UniqueLocal),
            ("169.254.1.1", LinkLocal),
            ("fe80::1", LinkLocal),
            ("100.64.0.1", Shared),
            ("100.127.255.255", Shared),
            ("198.18.0.1", Benchmarking),
            ("198.19.255.255", Benchmarking),
            ("2001:2::1", Benchmarking),
            ("169.254.169.254", Metadata),
            ("169.254.170.2", Metadata),
            ("100.100.100.200", Metadata),
            ("fd00:ec2::254", Metadata),
            ("0.0.0.0", Unspecified),
            ("::", Unspecified),
            ("0.1.2.3", ThisNetwork),
            ("224.0.0.1", Multicast),
            ("239.255.255.250", Multicast),
            ("ff02::1", Multicast),
            ("255.255.255.255", Broadcast),
            ("192.0.2.1", Documentation),
            ("198.51.100.1", Documentation),
            ("203.0.113.1", Documentation),
            ("2001:db8::1", Documentation),
            ("3fff::1", Documentation),
            ("240.0.0.1", Reserved),
            ("192.0.0.8", Reserved),
            ("192.88.99.1", Reserved),
            ("100::1", Reserved),
            ("2001::1", Reserved),
            ("4000::1", Reserved),
        ];
        for (ip, expected) in cases {
            assert_eq!(kind(ip), Some(expected), "{ip}");
        }
    }

    #[test]
    fn ipv6_forms_carrying_ipv4_are_judged_by_the_ipv4_address() {
        use AddressKind::*;
        for (ip, expected) in [
            ("::ffff:127.0.0.1", Loopback),
            ("::ffff:7f00:1", Loopback),
            ("::ffff:10.0.0.5", Private),
            ("::ffff:169.254.169.254", Metadata),
            ("::127.0.0.1", Loopback),
            ("::10.1.2.3", Private),
            ("64:ff9b::127.0.0.1", Loopback),
            ("64:ff9b::a9fe:a9fe", Metadata),
            ("2002:7f00:1::1", Loopback),
            ("2002:c0a8:101::1", Private),
        ] {
            assert_eq!(kind(ip), Some(expected), "{ip}");
        }
        assert_eq!(
            embedded_ipv4("::ffff:127.0.0.1".parse().unwrap()),
            Some(Embedded::Mapped(Ipv4Addr::LOCALHOST))
        );
        assert_eq!(kind("64:ff9b::8.8.8.8"), None, "NAT64 to a public address is public");
        assert_eq!(kind("2002:808:808::1"), None, "6to4 of a public address is public");
    }

    #[test]
    fn only_private_networks_can_be_opened() {
        assert!(AddressKind::Loopback.is_private_network());
        assert!(AddressKind::Shared.is_private_network());
        for never in [
            AddressKind::Metadata,
            AddressKind::Unspecified,
            AddressKind::Multicast,
            AddressKind::Broadcast,
            AddressKind::Documentation,
            AddressKind::Reserved,
            AddressKind::ThisNetwork,
        ] {
            assert!(!never.is_private_network(), "{never:?}");
        }
    }
}
