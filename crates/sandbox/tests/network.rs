//! A sandbox's own network namespace: the listener handed to the caller, the host's loopback out of reach,
//! and the way out through the user-mode network stack.
//!
//! The only traffic leaves for loopback addresses and for a network namespace the test makes itself (a
//! veth pair with addresses from TEST-NET-1), never for any other address.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, SocketAddrV4, TcpListener};
use std::process::Command;
use std::sync::mpsc;

use lamina_sandbox::{MIB, Network, SandboxSpec, SandboxedProcess, Stdio};

use crate::util::{self, code_dir, sandbox};

const INSIDE: SocketAddrV4 = SocketAddrV4::new(Ipv4Addr::LOCALHOST, 9001);

/// A service on the host's loopback that answers every connection with `host-loopback`.
fn host_loopback_service() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("address").port();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let _ = stream.write_all(b"host-loopback\n");
        }
    });
    port
}

/// A bash script that prints, for each `label address port`, the first line the address answers or
/// `refused`.
fn probes(targets: &[(&str, String, u16)]) -> String {
    targets
        .iter()
        .map(|(label, address, port)| {
            format!(
                "if exec 3<>/dev/tcp/{address}/{port}; then read -t 5 line <&3; echo \"{label}: ${{line:-silent}}\"; exec 3<&-; else echo '{label}: refused'; fi 2>/dev/null; "
            )
        })
        .collect()
}

/// Starts `script` under bash (for its `/dev/tcp`) in a sandbox with `network` and a listener inside.
fn spawn_with_listener(network: Network, script: &str) -> (SandboxedProcess, TcpListener) {
    let code = code_dir();
    let spec = SandboxSpec::builder("/bin/bash")
        .and_then(|b| b.args(["-c", script]))
        .and_then(|b| b.read_only_bind(code.path(), "/var/task"))
        .and_then(|b| b.cwd("/var/task"))
        .and_then(|b| b.env("PATH", "/usr/local/bin:/usr/bin:/bin"))
        .and_then(|b| b.memory(64 * MIB))
        .and_then(|b| b.tmp_size(16 * MIB))
        .expect("spec")
        .stdout(Stdio::Piped)
        .network(network)
        .listen(INSIDE)
        .build();
    let mut process = sandbox().spawn(spec).expect("spawn");
    let listener = process.take_listener().expect("the listener made inside");
    (process, listener)
}

/// Answers one connection on `listener` with `inside-listener`, returning what the client sent first.
fn answer_once(listener: &TcpListener) -> String {
    let (stream, _) = listener.accept().expect("accept");
    let mut reader = BufReader::new(stream);
    let mut first = String::new();
    reader.read_line(&mut first).expect("read");
    reader.get_mut().write_all(b"inside-listener\n").expect("write");
    first
}

fn finish(mut process: SandboxedProcess) -> String {
    let mut stdout = String::new();
    if let Some(mut out) = process.stdout.take() {
        out.read_to_string(&mut stdout).expect("read stdout");
    }
    let status = process.wait().expect("wait");
    assert!(status.success(), "{status}: {stdout}");
    process.teardown().expect("teardown");
    stdout
}

#[test]
fn the_listener_works_inside_and_the_hosts_loopback_is_out_of_reach() {
    let Some(_host) = util::shared() else { return };
    let host_port = host_loopback_service();
    let script = format!(
        "exec 4<>/dev/tcp/127.0.0.1/9001 && echo hello-from-inside >&4 && read -t 5 answer <&4 && echo \"inside: $answer\"; {}",
        probes(&[("host", "127.0.0.1".into(), host_port)])
    );
    let (process, listener) = spawn_with_listener(Network::Isolated, &script);
    assert_eq!(answer_once(&listener), "hello-from-inside\n");
    let stdout = finish(process);
    assert_eq!(stdout, "inside: inside-listener\nhost: refused\n");
}

/// A network namespace with a veth pair to the host: `192.0.2.201/30` on the host's side, `192.0.2.202/30`
/// inside. Removed on drop.
struct TestNetwork {
    name: String,
    host_link: String,
}

impl TestNetwork {
    const HOST_ADDRESS: &str = "192.0.2.201/30";
    const INSIDE_ADDRESS: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 202);

    fn create() -> TestNetwork {
        let id = std::process::id() % 100_000;
        let network = TestNetwork {
            name: format!("lamina-sbx-test-{id}"),
            host_link: format!("lsbx{id}h"),
        };
        let peer = format!("lsbx{id}p");
        let inside = format!("{}/30", Self::INSIDE_ADDRESS);
        for args in [
            vec!["netns", "add", &network.name],
            vec![
                "link",
                "add",
                &network.host_link,
                "type",
                "veth",
                "peer",
                "name",
                &peer,
            ],
            vec!["link", "set", &peer, "netns", &network.name],
            vec!["addr", "add", Self::HOST_ADDRESS, "dev", &network.host_link],
            vec!["link", "set", &network.host_link, "up"],
            vec!["-n", &network.name, "addr", "add", &inside, "dev", &peer],
            vec!["-n", &network.name, "link", "set", &peer, "up"],
            vec!["-n", &network.name, "link", "set", "lo", "up"],
        ] {
            let status = Command::new("ip")
                .args(&args)
                .status()
                .expect("ip (iproute2) is needed");
            assert!(status.success(), "ip {args:?}: {status}");
        }
        network
    }

    /// A server inside the namespace that answers one connection with `outside`; returns its port.
    fn serve_once(&self) -> u16 {
        let path = format!("/run/netns/{}", self.name);
        let (port_sender, port) = mpsc::channel();
        std::thread::spawn(move || {
            let namespace = std::fs::File::open(&path).expect("open the test namespace");
            nix::sched::setns(namespace, nix::sched::CloneFlags::CLONE_NEWNET).expect("setns");
            let listener =
                TcpListener::bind(SocketAddrV4::new(TestNetwork::INSIDE_ADDRESS, 0)).expect("bind");
            port_sender
                .send(listener.local_addr().expect("address").port())
                .expect("send");
            if let Ok((mut stream, _)) = listener.accept() {
                let _ = stream.write_all(b"outside\n");
            }
        });
        port.recv().expect("the server's port")
    }
}

impl Drop for TestNetwork {
    fn drop(&mut self) {
        // Deleting the namespace deletes the peer, and with it the host's end of the pair.
        let _ = Command::new("ip").args(["netns", "del", &self.name]).status();
        let _ = Command::new("ip")
            .args(["link", "del", &self.host_link])
            .stderr(std::process::Stdio::null())
            .status();
    }
}

#[test]
fn outbound_reaches_outside_but_not_the_hosts_loopback() {
    let Some(_host) = util::exclusive() else { return };
    assert!(
        lamina_sandbox::find_slirp4netns().is_some(),
        "outbound network needs slirp4netns (apt-get install slirp4netns)"
    );
    let network = TestNetwork::create();
    let outside_port = network.serve_once();
    let host_port = host_loopback_service();
    let script = format!(
        "cat /etc/resolv.conf; {}",
        probes(&[
            ("host", "127.0.0.1".into(), host_port),
            ("gateway", "10.0.2.2".into(), host_port),
            ("outside", TestNetwork::INSIDE_ADDRESS.to_string(), outside_port),
        ])
    );
    let (process, listener) = spawn_with_listener(Network::Outbound, &script);
    drop(listener);
    let stdout = finish(process);
    assert_eq!(
        stdout,
        "nameserver 10.0.2.3\nhost: refused\ngateway: refused\noutside: outside\n"
    );
}

#[test]
fn no_network_stack_outlives_its_sandbox() {
    let Some(_host) = util::exclusive() else { return };
    // Only this test process's stacks count (other servers on the host may run sandboxes meanwhile).
    let before = own_network_stacks();
    // The program waits on a connection to the listener until the listener is dropped.
    let (process, listener) = spawn_with_listener(
        Network::Outbound,
        "exec 4<>/dev/tcp/127.0.0.1/9001; read -t 30 line <&4; true",
    );
    assert!(
        own_network_stacks() > before,
        "the running sandbox's stack is counted"
    );
    drop(listener);
    finish(process);
    // The spare helper of `sandbox()` is gone with it too; the helper reaps its stack before it exits.
    assert_eq!(own_network_stacks(), before);
}

/// Running `slirp4netns` processes descended from this test process (each is a child of a sandbox's
/// helper, which is a child of this process).
fn own_network_stacks() -> usize {
    let parent_of = |pid: u32| -> Option<u32> {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        // `pid (comm) state ppid ...`: the command may hold spaces and parentheses; the last `)` ends it.
        stat.rsplit_once(')')?.1.split_whitespace().nth(1)?.parse().ok()
    };
    let me = std::process::id();
    std::fs::read_dir("/proc")
        .expect("/proc")
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/comm"))
                .is_ok_and(|comm| comm.trim() == "slirp4netns")
        })
        .filter(|pid| {
            let mut ancestor = parent_of(*pid);
            while let Some(p) = ancestor.filter(|p| *p > 1) {
                if p == me {
                    return true;
                }
                ancestor = parent_of(p);
            }
            false
        })
        .count()
}
