package sitelink.ike;

import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import sitelink.wireguard.FakeClock;

/** Two IKE sessions in memory that pass each other's datagrams, with one fake clock: the unit tests' network. */
final class IkePair {
    static final InetSocketAddress A = new InetSocketAddress("198.51.100.1", Ike.IKE_PORT);
    static final InetSocketAddress B = new InetSocketAddress("198.51.100.2", Ike.IKE_PORT);
    static final byte[] PSK = "a pre-shared key of at least 32 characters".getBytes();

    final FakeClock clock = new FakeClock();
    final IkeSession a, b;
    final List<IkeAction> actionsA = new ArrayList<>(), actionsB = new ArrayList<>();
    /** Datagrams that reached each side (after {@link #lose}), with the sender's local port. */
    final List<IkeAction.Send> sentByA = new ArrayList<>(), sentByB = new ArrayList<>();
    Predicate<IkeAction.Send> lose = s -> false;

    IkePair(IkeConfig configA, IkeConfig configB) {
        a = new IkeSession(configA, clock, new SecureRandom());
        b = new IkeSession(configB, clock, new SecureRandom());
    }

    static IkeConfig.Builder config(InetSocketAddress local, InetSocketAddress remote) {
        return new IkeConfig.Builder(local, remote);
    }

    static IkeConfig configA() {
        return config(A, B).psk(PSK).build();
    }

    static IkeConfig configB() {
        return config(B, A).psk(PSK).build();
    }

    /** A initiates; datagrams flow until neither side has more to say. */
    IkePair run() {
        deliver(a.initiate(), true);
        return this;
    }

    void deliver(List<IkeAction> actions, boolean fromA) {
        List<IkeAction> queue = new ArrayList<>(actions);
        boolean side = fromA;
        List<List<IkeAction>> pending = new ArrayList<>();
        pending.add(queue);
        List<Boolean> sides = new ArrayList<>();
        sides.add(side);
        for (int guard = 0; !pending.isEmpty() && guard < 100; guard++) {
            List<IkeAction> batch = pending.remove(0);
            boolean isA = sides.remove(0);
            (isA ? actionsA : actionsB).addAll(batch);
            for (IkeAction action : batch) {
                if (action instanceof IkeAction.Send s) {
                    (isA ? sentByA : sentByB).add(s);
                    if (lose.test(s)) {
                        continue;
                    }
                    InetSocketAddress from = new InetSocketAddress((isA ? A : B).getAddress(), s.localPort());
                    IkeSession to = isA ? b : a;
                    pending.add(to.receive(from, s.to().getPort(), s.datagram(), 0, s.datagram().length));
                    sides.add(!isA);
                }
            }
        }
    }

    <T extends IkeAction> List<T> of(List<IkeAction> actions, Class<T> kind) {
        return actions.stream().filter(kind::isInstance).map(kind::cast).toList();
    }
}
