"""Factories for :class:`~qnlp.backends.tket.TketBackend`: Aer simulators, noisy emulations of
real devices (offline fake IBM backends) and hardware through pytket extensions.

Every factory imports its pytket extension lazily and turns a missing extension or missing
credentials into a :class:`~qnlp.errors.BackendError` that names the package or the login step.
Use :func:`qnlp.backends.factory.make_backend` to build one by name.
"""

from __future__ import annotations

import os
import re

from qnlp.backends.tket import TketBackend
from qnlp.errors import BackendError, ConfigError

#: Hardware name prefixes understood by :func:`qnlp.backends.factory.make_backend`.
HARDWARE_PREFIXES = ("quantinuum", "ibm", "braket")


def _counts_aer_class():
    """pytket-qiskit's ``AerBackend`` returning counts instead of per-shot memory.

    Converting 8192 per-shot readouts into pytket's outcome arrays costs more than simulating a
    small circuit; counts carry the same information for our purpose.
    """
    AerBackend = _import("pytket.extensions.qiskit", "AerBackend", "pytket-qiskit")

    class CountsAerBackend(AerBackend):
        _memory = False

    return CountsAerBackend


def _set_threads(backend, threads: int | None):
    """Limit Aer's threads (0: Aer's default, all cores); sentence circuits are too small to gain
    from threads, and on a busy machine the thread start-up dominates (measured 2x slower)."""
    if threads is not None:
        backend._qiskit_backend.set_options(max_parallel_threads=int(threads))  # noqa: SLF001
    return backend


def make_aer(*, optimisation_level: int = 0, min_kept_shots: int = 100,
             max_parallel_threads: int | None = 1, sampler: str = "born") -> TketBackend:
    """pytket-qiskit's ``AerBackend``: noiseless shots (registry name ``aer.v1``).

    Circuits are compiled with ``AerBackend``'s default pass (level 0 by default: a noiseless
    simulator gains nothing from optimisation). ``sampler="born"`` (default): qiskit-aer computes
    the Born distribution of the measured bits of all circuits in one call and the shots are drawn
    from it with one seeded generator per circuit, which is what Aer's own measure sampling does for
    these circuits (terminal measurements, no noise) minus its per-shot bookkeeping; about 10x
    faster than ``sampler="aer"``, where ``AerBackend`` samples the shots itself (one job per
    circuit when seeded, since Aer seeds circuits by their position in a job).
    """
    if sampler not in ("born", "aer"):
        raise ConfigError(f"sampler must be 'born' or 'aer', got {sampler!r}")
    born = None
    if sampler == "born":
        AerSimulator = _import("qiskit_aer", "AerSimulator", "qiskit-aer")
        born = AerSimulator(method="statevector", max_parallel_threads=max_parallel_threads or 0)
    return TketBackend(_set_threads(_counts_aer_class()(), max_parallel_threads),
                       optimisation_level=optimisation_level, per_circuit_seed=True,
                       min_kept_shots=min_kept_shots, born_simulator=born, name="aer.v1")


def make_aer_state(*, optimisation_level: int = 0, min_kept_shots: int = 100) -> TketBackend:
    """pytket-qiskit's ``AerStateBackend``: exact statevectors through tket (``aer-state.v1``).

    With ``RunConfig(shots=N)`` shots are sampled from the exact distribution, one seeded
    generator per circuit.
    """
    AerStateBackend = _import("pytket.extensions.qiskit", "AerStateBackend", "pytket-qiskit")
    return TketBackend(AerStateBackend(), optimisation_level=optimisation_level,
                       min_kept_shots=min_kept_shots, name="aer-state.v1")


def _fake_backend_classes() -> dict[str, str]:
    from qiskit_ibm_runtime import fake_provider

    out = {}
    for attr in dir(fake_provider):
        if attr.startswith("Fake") and attr not in ("FakeProviderForBackendV2", "FakeFractionalBackend"):
            base = re.sub(r"V2$", "", attr[4:])
            out["fake_" + re.sub(r"(?<!^)(?=[A-Z])", "_", base).lower()] = attr
    return out


def device_noise_model(device: str):
    """Noise model and native gate set of an offline fake IBM device (``"fake_brisbane"``).

    Two-qubit errors are copied onto the reverse direction of each coupler (real devices reverse a
    native gate with single-qubit gates only), so routing may use either direction.
    """
    _import("qiskit_aer", "AerSimulator", "qiskit-aer")
    fake_provider = _import_module("qiskit_ibm_runtime.fake_provider", "qiskit-ibm-runtime")
    from qiskit_aer.noise import NoiseModel

    classes = _fake_backend_classes()
    key = device.strip().lower()
    key = key if key.startswith("fake_") else "fake_" + key
    if key not in classes:
        raise ConfigError(f"unknown fake device {device!r}; valid: {', '.join(sorted(classes))}")
    fake = getattr(fake_provider, classes[key])()
    noise = NoiseModel.from_backend(fake)
    ops = set(fake.operation_names)
    two_q = next((g for g in ("ecr", "cz", "cx") if g in ops), None)
    if two_q is None:
        raise BackendError(f"device {device!r} has no ecr, cz or cx gate: {sorted(ops)}")
    local = getattr(noise, "_local_quantum_errors", {}).get(two_q, {})
    for (a, b), error in list(local.items()):
        if (b, a) not in local:
            noise.add_quantum_error(error, two_q, [b, a], warnings=False)
    return noise, two_q, fake.num_qubits


def make_aer_noisy(*, device: str = "fake_brisbane", optimisation_level: int = 2,
                   simulation_method: str = "density_matrix", min_kept_shots: int = 100,
                   max_parallel_threads: int | None = 1) -> TketBackend:
    """``AerBackend`` with the noise model and coupling map of a fake IBM device (``aer-noisy.v1``).

    Circuits are compiled with the backend's ``default_compilation_pass`` (placement and routing on
    the device's coupling map), then rebased to the device's native gates (``rz``, ``sx``, ``x``
    and its two-qubit gate), so the noise model applies to every gate. ``simulation_method``
    ``"density_matrix"`` (default) simulates a small register once and samples all shots from it;
    ``"statevector"`` simulates one noisy trajectory per shot (about 25x slower for 4 qubits at
    8192 shots). Both sample the same noisy distribution.
    """
    from pytket import OpType
    from pytket.passes import AutoRebase

    noise, two_q, _ = device_noise_model(device)
    native = {"ecr": OpType.ECR, "cz": OpType.CZ, "cx": OpType.CX}[two_q]
    backend = _set_threads(_counts_aer_class()(noise_model=noise, simulation_method=simulation_method),
                           max_parallel_threads)
    rebase = AutoRebase({native, OpType.Rz, OpType.SX, OpType.X})
    return TketBackend(backend, optimisation_level=optimisation_level, extra_passes=[rebase],
                       per_circuit_seed=True, min_kept_shots=min_kept_shots,
                       name=f"aer-noisy:{device}")


def _import_module(module: str, package: str):
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise BackendError(f"{module} is not installed ({exc}); install it with "
                           f"`pip install {package}`") from None


def _import(module: str, attr: str, package: str):
    return getattr(_import_module(module, package), attr)


def _has_ibm_credentials() -> bool:
    if os.environ.get("QISKIT_IBM_TOKEN"):
        return True
    return os.path.exists(os.path.expanduser(os.path.join("~", ".qiskit", "qiskit-ibm.json")))


def _has_aws_credentials() -> bool:
    if os.environ.get("AWS_ACCESS_KEY_ID") or os.environ.get("AWS_PROFILE"):
        return True
    return os.path.exists(os.path.expanduser(os.path.join("~", ".aws", "credentials")))


def make_hardware(provider: str, device: str, **kwargs) -> TketBackend:
    """A hardware backend: ``quantinuum``, ``ibm`` or ``braket`` with a device name.

    Raises
    ------
    BackendError
        When the pytket extension is not installed or no credentials are configured.
    """
    if not device:
        raise ConfigError(f"give a device: '{provider}:<device>'")
    level = kwargs.pop("optimisation_level", 2)
    if provider == "quantinuum":
        cls = _import("pytket.extensions.quantinuum", "QuantinuumBackend", "pytket-quantinuum")
        try:
            backend = cls(device, **kwargs)
        except Exception as exc:  # noqa: BLE001
            raise BackendError(f"could not open Quantinuum device {device!r}: {exc}. Log in with "
                               "`QuantinuumBackend.login()` or set your Quantinuum credentials.") from exc
    elif provider == "ibm":
        cls = _import("pytket.extensions.qiskit", "IBMQBackend", "pytket-qiskit")
        if not _has_ibm_credentials():
            raise BackendError("no IBM Quantum credentials found: set QISKIT_IBM_TOKEN or run "
                               "`QiskitRuntimeService.save_account(channel=..., token=...)` once")
        try:
            backend = cls(device, **kwargs)
        except Exception as exc:  # noqa: BLE001
            raise BackendError(f"could not open IBM device {device!r}: {exc}") from exc
    elif provider == "braket":
        cls = _import("pytket.extensions.braket", "BraketBackend", "pytket-braket")
        if not _has_aws_credentials():
            raise BackendError("no AWS credentials found for Amazon Braket: run `aws configure` or "
                               "set AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY")
        try:
            backend = cls(device=device, **kwargs)
        except Exception as exc:  # noqa: BLE001
            raise BackendError(f"could not open Braket device {device!r}: {exc}") from exc
    else:
        raise ConfigError(f"unknown hardware provider {provider!r}; valid: {', '.join(HARDWARE_PREFIXES)}")
    return TketBackend(backend, optimisation_level=level, name=f"{provider}:{device}")
