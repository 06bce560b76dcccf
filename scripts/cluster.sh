#!/usr/bin/env bash
# A one-node Kubernetes cluster on this machine, for the cluster suite (issue 56: cnbkit's builders
# under Tekton and kpack). Nothing in `npm run test:all` or the main job uses it.
#
#   scripts/cluster.sh up       start it (idempotent: a running cluster is left as it is); prints `env`
#   scripts/cluster.sh env      the shell lines to use it: KUBECONFIG, KUBECTL, the registry's address
#   scripts/cluster.sh status   each process and whether it is alive, then `kubectl get nodes`
#   scripts/cluster.sh down     stop everything it started, by PID; unmount; remove the state dir
#
# What runs, every server on 127.0.0.1 and every file under the state dir ($CNBKIT_CLUSTER_DIR,
# /var/tmp/cnbkit-cluster unless set):
#   etcd, kube-apiserver, kube-controller-manager, kube-scheduler  (the control plane)
#   docker-registry                                                (the loopback registry pods pull from)
#   containerd (its own root, state and socket; CRI on; runc)      (the runtime)
#   kubelet (cgroupfs, like this host's cgroup v1; swap allowed)   (the node)
#   kube-proxy (iptables mode)                                     (Services' ClusterIPs)
# The Kubernetes binaries come from scripts/fetch-kubernetes.sh (built from the Go module, cached
# under ~/.cache/cnbkit/kubernetes/<version>/), etcd, containerd, runc, the CNI plugins and the
# registry from Debian's packages, which `up` installs when missing. The pause image is a static C
# program built here and cached under ~/.cache/cnbkit/kubernetes/pause/<key>/: registry.k8s.io is out
# of reach.
#
# Services: kube-proxy in iptables mode makes each ClusterIP (10.96.0.0/24) lead to its pods, from
# the host and from pods on the bridge (this kernel has br_netfilter on). It masquerades every
# Service connection (--masquerade-all): a pod calling a Service whose pod sits on the same bridge
# gets its answer back through the host, where the DNAT is undone. `down` removes its rules
# (kube-proxy --cleanup). The apiserver still calls admission and conversion webhooks (Tekton's) at
# the Service's endpoint (--enable-aggregator-routing), and pods that talk to the apiserver run on
# the host network with KUBERNETES_SERVICE_HOST=127.0.0.1: the apiserver's own Service leads to
# 127.0.0.1, which is the pod's own loopback off the host network.
#
# Mutating admission policies (beta in 1.34, off by default) are on: the kpack and Tekton suites put
# kpack's build pods, which they cannot ask for hostNetwork, and the TaskRun pods of the docs'
# PipelineRun on the host network with one each (podsOnHostNetwork in test/cluster/manifests.ts).
#
# Networking: only loopback reaches anything here, so pods that serve or push use hostNetwork. A
# bridge + host-local CNI config is installed so the runtime reports its network ready (the node is
# Ready only then) and so pods without hostNetwork still start in a network namespace of their own.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
K8S_VERSION="${CNBKIT_KUBERNETES_VERSION:-1.34.4}"
CACHE="${CNBKIT_CACHE:-$HOME/.cache/cnbkit}"
BIN="$CACHE/kubernetes/v$K8S_VERSION/bin"
# Not under /tmp: the state outlives any one test, and other runs sweep /tmp/cnbkit-* dirs.
STATE="${CNBKIT_CLUSTER_DIR:-/var/tmp/cnbkit-cluster}"
ETCD_PORT="${CNBKIT_CLUSTER_ETCD_PORT:-23790}"
ETCD_PEER_PORT="${CNBKIT_CLUSTER_ETCD_PEER_PORT:-$((ETCD_PORT + 1))}"
API_PORT="${CNBKIT_CLUSTER_API_PORT:-16443}"
REGISTRY_PORT="${CNBKIT_CLUSTER_REGISTRY_PORT:-15000}"
KUBELET_PORT="${CNBKIT_CLUSTER_KUBELET_PORT:-10250}"
PROXY_HEALTH_PORT="${CNBKIT_CLUSTER_PROXY_HEALTH_PORT:-10256}"
PROXY_METRICS_PORT="${CNBKIT_CLUSTER_PROXY_METRICS_PORT:-10249}"
# The kubelet refuses a loopback node IP, so the node's address the apiserver dials (for logs and
# exec) is its name: "localhost", which resolves to the loopback address the kubelet listens on.
NODE_NAME=localhost
REGISTRY="127.0.0.1:$REGISTRY_PORT"
PAUSE_IMAGE="$REGISTRY/pause:3.10"
# Debian's names; `up` installs the missing ones (apt-get, as root, as everywhere on this machine).
PACKAGES=(etcd-server containerd runc containernetworking-plugins docker-registry skopeo openssl gcc libc6-dev)
# In the order `up` starts them (and `status` lists them).
COMPONENTS=(etcd kube-apiserver kube-controller-manager kube-scheduler registry containerd kubelet kube-proxy)

say() { printf '[cluster] %s\n' "$*" >&2; }
die() { printf '[cluster] error: %s\n' "$*" >&2; exit 1; }
pidfile() { echo "$STATE/pids/$1.pid"; }
alive() { local f; f="$(pidfile "$1")"; [ -f "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null; }
kc() { "$BIN/kubectl" --kubeconfig "$STATE/admin.kubeconfig" "$@"; }

# Runs a server detached, its output in logs/<name>.log and its PID in pids/<name>.pid.
# setsid execs in place (a background job is no group leader), so $! is the server's own PID.
start() {
  local name="$1"
  shift
  setsid "$@" >"$STATE/logs/$name.log" 2>&1 </dev/null &
  echo $! >"$(pidfile "$name")"
}

# wait_for NAME SECONDS CMD...: polls CMD until it succeeds; on time-out shows NAME's log tail.
wait_for() {
  local name="$1" secs="$2" i
  shift 2
  for ((i = 0; i < secs * 4; i++)); do
    "$@" >/dev/null 2>&1 && return 0
    alive "$name" || { tail -20 "$STATE/logs/$name.log" >&2; die "$name exited"; }
    sleep 0.25
  done
  tail -20 "$STATE/logs/$name.log" >&2
  die "$name not ready after ${secs}s"
}

ensure_packages() {
  local missing=() p
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  say "installing Debian packages the cluster needs: ${missing[*]}"
  # Debian's etcd and containerd packages would start their own services; this cluster runs its own.
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >&2 ||
    { apt-get update >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >&2; }
}

# The sandbox ("pause") image: a static binary that sleeps until a signal, as an OCI layout. Keyed
# by the source, so a changed program makes a new one.
pause_layout() {
  local src='#include <signal.h>
#include <unistd.h>
static void quit(int s) { (void)s; _exit(0); }
int main(void) { signal(SIGINT, quit); signal(SIGTERM, quit); for (;;) pause(); }'
  local key dir
  key="$(printf '%s' "$src" | sha256sum | cut -c1-16)"
  dir="$CACHE/kubernetes/pause/$key"
  [ -f "$dir/index.json" ] && { echo "$dir"; return 0; }
  local work
  work="$(mktemp -d /tmp/cnbkit-pause.XXXXXX)"
  mkdir -p "$work/root" "$work/oci/blobs/sha256"
  printf '%s\n' "$src" >"$work/pause.c"
  gcc -static -Os -s -o "$work/root/pause" "$work/pause.c"
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$work/root" -cf "$work/layer.tar" pause
  local layer layer_size config config_size manifest manifest_size
  layer="$(sha256sum "$work/layer.tar" | cut -d' ' -f1)"
  layer_size="$(stat -c %s "$work/layer.tar")"
  mv "$work/layer.tar" "$work/oci/blobs/sha256/$layer"
  printf '{"architecture":"amd64","os":"linux","config":{"Entrypoint":["/pause"]},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
    "$layer" >"$work/config.json"
  config="$(sha256sum "$work/config.json" | cut -d' ' -f1)"
  config_size="$(stat -c %s "$work/config.json")"
  mv "$work/config.json" "$work/oci/blobs/sha256/$config"
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:%s","size":%s}]}' \
    "$config" "$config_size" "$layer" "$layer_size" >"$work/manifest.json"
  manifest="$(sha256sum "$work/manifest.json" | cut -d' ' -f1)"
  manifest_size="$(stat -c %s "$work/manifest.json")"
  mv "$work/manifest.json" "$work/oci/blobs/sha256/$manifest"
  printf '{"imageLayoutVersion":"1.0.0"}' >"$work/oci/oci-layout"
  printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"3.10"}}]}' \
    "$manifest" "$manifest_size" >"$work/oci/index.json"
  mkdir -p "$(dirname "$dir")"
  rm -rf "$dir"
  mv "$work/oci" "$dir"
  rm -rf "$work"
  echo "$dir"
}

# One key and certificate signed by the cluster CA: cert NAME SUBJECT [SANS].
cert() {
  local name="$1" subj="$2" sans="${3:-}" pki="$STATE/pki"
  openssl genrsa -out "$pki/$name.key" 2048 2>/dev/null
  openssl req -new -key "$pki/$name.key" -subj "$subj" -out "$pki/$name.csr" 2>/dev/null
  local ext="$pki/$name.ext"
  printf 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\n' >"$ext"
  [ -n "$sans" ] && printf 'subjectAltName=%s\n' "$sans" >>"$ext"
  openssl x509 -req -in "$pki/$name.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial \
    -days 30 -extfile "$ext" -out "$pki/$name.crt" 2>/dev/null
}

make_pki() {
  local pki="$STATE/pki"
  mkdir -p "$pki"
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$pki/ca.key" -out "$pki/ca.crt" -days 30 \
    -subj "/CN=cnbkit-cluster-ca" 2>/dev/null
  cert apiserver "/CN=kube-apiserver" \
    "IP:127.0.0.1,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc"
  # One client identity in system:masters for every component: a throwaway single-node test
  # cluster, where per-component RBAC would be setup without a finding.
  cert admin "/O=system:masters/CN=cnbkit-admin"
  cert kubelet "/CN=$NODE_NAME" "IP:127.0.0.1,DNS:localhost"
  openssl genrsa -out "$pki/sa.key" 2048 2>/dev/null
  openssl rsa -in "$pki/sa.key" -pubout -out "$pki/sa.pub" 2>/dev/null
  cat >"$STATE/admin.kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: cnbkit
  cluster: {certificate-authority: $pki/ca.crt, server: "https://127.0.0.1:$API_PORT"}
users:
- name: admin
  user: {client-certificate: $pki/admin.crt, client-key: $pki/admin.key}
contexts:
- name: cnbkit
  context: {cluster: cnbkit, user: admin, namespace: default}
current-context: cnbkit
EOF
}

start_control_plane() {
  local pki="$STATE/pki"
  start etcd etcd --name cnbkit --data-dir "$STATE/etcd" \
    --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster "cnbkit=http://127.0.0.1:$ETCD_PEER_PORT"
  wait_for etcd 30 curl -fsS "http://127.0.0.1:$ETCD_PORT/health"
  say "etcd up"
  start kube-apiserver "$BIN/kube-apiserver" --etcd-servers "http://127.0.0.1:$ETCD_PORT" \
    --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$API_PORT" \
    --client-ca-file "$pki/ca.crt" --tls-cert-file "$pki/apiserver.crt" --tls-private-key-file "$pki/apiserver.key" \
    --service-account-key-file "$pki/sa.pub" --service-account-signing-key-file "$pki/sa.key" \
    --service-account-issuer https://kubernetes.default.svc --service-cluster-ip-range 10.96.0.0/24 \
    --authorization-mode Node,RBAC --allow-privileged=true \
    --kubelet-client-certificate "$pki/admin.crt" --kubelet-client-key "$pki/admin.key" \
    --kubelet-preferred-address-types Hostname --enable-aggregator-routing=true \
    --feature-gates MutatingAdmissionPolicy=true --runtime-config admissionregistration.k8s.io/v1beta1=true
  wait_for kube-apiserver 120 kc get --raw /readyz
  say "kube-apiserver up"
  start kube-controller-manager "$BIN/kube-controller-manager" --kubeconfig "$STATE/admin.kubeconfig" \
    --leader-elect=false --secure-port 0 --service-account-private-key-file "$pki/sa.key" \
    --root-ca-file "$pki/ca.crt" --cluster-signing-cert-file "$pki/ca.crt" --cluster-signing-key-file "$pki/ca.key" \
    --service-cluster-ip-range 10.96.0.0/24
  start kube-scheduler "$BIN/kube-scheduler" --kubeconfig "$STATE/admin.kubeconfig" --leader-elect=false \
    --secure-port 0
}

start_registry() {
  mkdir -p "$STATE/registry"
  cat >"$STATE/registry.yml" <<EOF
version: 0.1
log: {level: warn}
storage:
  filesystem: {rootdirectory: $STATE/registry}
  delete: {enabled: true}
http: {addr: "$REGISTRY"}
EOF
  start registry docker-registry serve "$STATE/registry.yml"
  wait_for registry 30 curl -fsS "http://$REGISTRY/v2/"
  skopeo --insecure-policy copy -q --dest-tls-verify=false "oci:$(pause_layout):3.10" "docker://$PAUSE_IMAGE" >&2
  say "registry up at $REGISTRY (pause image pushed)"
}

write_containerd_config() {
  local c="$STATE/containerd"
  mkdir -p "$c/certs.d/$REGISTRY" "$STATE/cni/net.d"
  # The loopback registry speaks plain HTTP.
  cat >"$c/certs.d/$REGISTRY/hosts.toml" <<EOF
server = "http://$REGISTRY"
[host."http://$REGISTRY"]
  capabilities = ["pull", "resolve", "push"]
  skip_verify = true
EOF
  cat >"$c/config.toml" <<EOF
version = 2
root = "$c/root"
state = "$c/state"
[grpc]
  address = "$c/containerd.sock"
[plugins."io.containerd.internal.v1.opt"]
  path = "$c/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  stream_server_address = "127.0.0.1"
  # No CAP_SYS_RESOURCE here: runc cannot lower a sandbox's oom_score_adj below containerd's own
  # (CRI asks -998), and the sandbox fails with "can't get final child's PID from pipe: EOF".
  restrict_oom_score_adj = true
  # Pod network namespaces under the state dir rather than /var/run/netns, where down removes them.
  netns_mounts_under_state_dir = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = "$c/runc"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$STATE/cni/net.d"
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = "$c/certs.d"
EOF
  cat >"$STATE/cni/net.d/10-cnbkit.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "cnbkit",
  "plugins": [
    {"type": "bridge", "bridge": "cnbkit0", "isGateway": true, "ipMasq": false,
     "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.244.0.0/24"}]], "routes": [{"dst": "0.0.0.0/0"}],
              "dataDir": "$STATE/cni/ipam"}},
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}
EOF
  cat >"$STATE/cni/net.d/99-loopback.conf" <<EOF
{"cniVersion": "1.0.0", "name": "lo", "type": "loopback"}
EOF
}

write_kubelet_config() {
  local pki="$STATE/pki"
  mkdir -p "$STATE/kubelet" "$STATE/pod-logs"
  cat >"$STATE/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: 127.0.0.1
port: $KUBELET_PORT
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 0
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: false}
  x509: {clientCAFile: $pki/ca.crt}
authorization: {mode: AlwaysAllow}
tlsCertFile: $pki/kubelet.crt
tlsPrivateKeyFile: $pki/kubelet.key
cgroupDriver: cgroupfs
failSwapOn: false
failCgroupV1: false
containerRuntimeEndpoint: unix://$STATE/containerd/containerd.sock
imageServiceEndpoint: unix://$STATE/containerd/containerd.sock
podLogsDir: $STATE/pod-logs
resolvConf: /etc/resolv.conf
serializeImagePulls: false
# A shared disk with little free space must not taint the node (DiskPressure) and stop scheduling.
evictionHard: {memory.available: "100Mi", nodefs.available: "1%", imagefs.available: "1%", nodefs.inodesFree: "1%"}
EOF
}

up() {
  if alive kubelet && kc get nodes >/dev/null 2>&1; then
    say "already up ($STATE)"
    env_lines
    return 0
  fi
  [ -d "$STATE" ] && { say "a stopped or half-started cluster is in $STATE: taking it down first"; down; }
  local t0=$SECONDS
  ensure_packages
  bash "$ROOT/scripts/fetch-kubernetes.sh" >&2
  mkdir -p "$STATE/pids" "$STATE/logs"
  make_pki
  start_control_plane
  start_registry
  write_containerd_config
  start containerd containerd --config "$STATE/containerd/config.toml"
  wait_for containerd 30 ctr --address "$STATE/containerd/containerd.sock" version
  say "containerd up"
  write_kubelet_config
  start kubelet "$BIN/kubelet" --config "$STATE/kubelet.yaml" --kubeconfig "$STATE/admin.kubeconfig" \
    --root-dir "$STATE/kubelet" --cert-dir "$STATE/pki" --hostname-override "$NODE_NAME" --v 1
  wait_for kubelet 120 kc wait --for=condition=Ready "node/$NODE_NAME" --timeout 1s
  # Pods need the default service account, which the controller-manager makes.
  wait_for kube-controller-manager 60 kc get serviceaccount default
  start kube-proxy "$BIN/kube-proxy" --kubeconfig "$STATE/admin.kubeconfig" --proxy-mode iptables \
    --hostname-override "$NODE_NAME" --cluster-cidr 10.244.0.0/24 --masquerade-all \
    --conntrack-max-per-core 0 --healthz-bind-address "127.0.0.1:$PROXY_HEALTH_PORT" \
    --metrics-bind-address "127.0.0.1:$PROXY_METRICS_PORT" --v 1
  # Healthy once it has written the rules for what the apiserver holds.
  wait_for kube-proxy 60 curl -fsS "http://127.0.0.1:$PROXY_HEALTH_PORT/healthz"
  say "node $NODE_NAME Ready in $((SECONDS - t0))s"
  env_lines
}

env_lines() {
  printf 'export KUBECONFIG=%s\n' "$STATE/admin.kubeconfig"
  printf 'export KUBECTL=%s\n' "$BIN/kubectl"
  printf 'export CNBKIT_CLUSTER_REGISTRY=%s\n' "$REGISTRY"
}

status() {
  local c
  for c in "${COMPONENTS[@]}"; do
    if alive "$c"; then printf '%-24s pid %s\n' "$c" "$(cat "$(pidfile "$c")")"; else printf '%-24s down\n' "$c"; fi
  done
  kc get nodes -o wide 2>&1 || true
}

any_alive() {
  local p
  for p in "$@"; do kill -0 "$p" 2>/dev/null && return 0; done
  return 1
}

# stop NAME...: SIGTERM to each by PID, all at once; SIGKILL to any still alive after 15 s.
stop() {
  local pids=() f n i
  for n in "$@"; do
    f="$(pidfile "$n")"
    [ -f "$f" ] || continue
    pids+=("$(cat "$f")")
    rm -f "$f"
  done
  [ ${#pids[@]} -eq 0 ] && return 0
  kill "${pids[@]}" 2>/dev/null || true
  for ((i = 0; i < 60; i++)); do
    any_alive "${pids[@]}" || break
    sleep 0.25
  done
  kill -9 "${pids[@]}" 2>/dev/null || true
}

# The containers' shims outlive containerd; they are ours when their -address is our socket.
shim_pids() {
  local sock="$STATE/containerd/containerd.sock" f
  for f in $(grep -lsF -- "$sock" /proc/[0-9]*/cmdline); do
    { tr '\0' ' ' <"$f"; } 2>/dev/null | grep -q -- "containerd-shim-runc-v2 .*-address $sock" && basename "$(dirname "$f")"
  done
  return 0
}

# Stops every container: the kubelet first (it would restart them), then each containerd task
# killed and deleted. No pod is deleted through the API: the cluster goes away whole, and each pod's
# network namespace goes with the mounts under the state dir.
stop_pods() {
  local ctr=(ctr --address "$STATE/containerd/containerd.sock" -n k8s.io) t i
  stop kubelet
  alive containerd || return 0
  for t in $("${ctr[@]}" tasks ls -q 2>/dev/null); do "${ctr[@]}" tasks kill -s SIGKILL "$t" >/dev/null 2>&1 || true; done
  for ((i = 0; i < 40; i++)); do
    "${ctr[@]}" tasks ls 2>/dev/null | grep -q RUNNING || break
    sleep 0.25
  done
  for t in $("${ctr[@]}" tasks ls -q 2>/dev/null); do "${ctr[@]}" tasks delete -f "$t" >/dev/null 2>&1 || true; done
}

down() {
  [ -d "$STATE" ] || { say "nothing to take down ($STATE does not exist)"; return 0; }
  mkdir -p "$STATE/pids"
  stop_pods
  local c p
  stop containerd kube-proxy
  # Its KUBE-* chains and rules, which outlive it.
  [ -x "$BIN/kube-proxy" ] && "$BIN/kube-proxy" --cleanup >/dev/null 2>&1 || true
  # The control plane and the registry together, etcd last (the apiserver may still write).
  stop registry kube-scheduler kube-controller-manager kube-apiserver
  stop etcd
  for p in $(shim_pids); do kill -9 "$p" 2>/dev/null || true; done
  # Mounts the kubelet (volumes) and containerd (rootfs, shm, snapshots) made under the state dir,
  # deepest first.
  local m
  while read -r m; do umount -l "$m" 2>/dev/null || true; done < <(findmnt -rn -o TARGET | grep "^$STATE/" | sort -r)
  ip link delete cnbkit0 2>/dev/null || true
  # The kubelet's pod cgroups (cgroupfs driver) and its links to container logs under our state dir.
  for c in /sys/fs/cgroup/*/kubepods; do
    [ -d "$c" ] && find "$c" -depth -type d -exec rmdir {} \; 2>/dev/null || true
  done
  find /var/log/containers -maxdepth 1 -type l -lname "$STATE/*" -delete 2>/dev/null || true
  rm -rf "$STATE"
  say "down: processes stopped, mounts removed, $STATE removed"
}

case "${1:-}" in
up) up ;;
down) down ;;
env) env_lines ;;
status) status ;;
*)
  echo "usage: $0 up|down|env|status" >&2
  exit 2
  ;;
esac
