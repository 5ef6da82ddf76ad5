"""Regularized evolution (REA): tournament selection with ageing."""

from __future__ import annotations

from collections import deque

from cbred.search.strategy import SearchStrategy, check_positive_int


class RegularizedEvolution(SearchStrategy):
    """Regularized ("aging") evolution over edit-distance-1 mutations.

    The first ``population_size`` architectures are drawn uniformly from the sub-space.
    Afterwards every proposal is a mutant of a tournament winner: ``sample_size``
    members of the population are drawn without replacement, the most accurate is the
    parent, and the child is one of its not-yet-seen edit-distance-1 neighbours
    (:meth:`~cbred.search.domain.SearchDomain.neighbours`, the support of the space's
    one-step mutation operator) drawn uniformly. Every result joins the population and
    the *oldest* member leaves it (ageing), not the worst.

    Parameters
    ----------
    population_size : int, default=20
        Members kept alive.
    sample_size : int, default=5
        Tournament size (at most ``population_size``).
    restrict_mutations : bool, default=True
        Children stay in the sub-space (True) or may leave it for any architecture the
        evaluator can answer (False; the initial population is still drawn from the
        sub-space).

    Notes
    -----
    A parent whose allowed neighbours have all been seen yields a uniform draw of an unseen
    member of the sub-space instead, so that no architecture is evaluated twice.

    References
    ----------
    E. Real, A. Aggarwal, Y. Huang and Q. V. Le, "Regularized Evolution for Image
    Classifier Architecture Search", AAAI 2019.
    """

    def __init__(self, *, population_size: int = 20, sample_size: int = 5, restrict_mutations: bool = True) -> None:
        self.population_size = population_size
        self.sample_size = sample_size
        self.restrict_mutations = restrict_mutations

    def _check_params(self) -> None:
        check_positive_int("RegularizedEvolution", "population_size", self.population_size)
        check_positive_int("RegularizedEvolution", "sample_size", self.sample_size)
        if self.sample_size > self.population_size:
            raise ValueError(
                f"RegularizedEvolution: sample_size ({self.sample_size}) exceeds "
                f"population_size ({self.population_size})"
            )
        if not isinstance(self.restrict_mutations, bool):
            raise ValueError(f"RegularizedEvolution: restrict_mutations must be a bool, got {self.restrict_mutations!r}")

    @property
    def shared_random_draws(self) -> int:
        """The initial population: ``population_size`` uniform draws, those of random search
        under the same seed."""
        return self.population_size

    def _reset(self) -> None:
        self.population_: deque[tuple[str, float]] = deque(maxlen=self.population_size)

    def _propose(self) -> str | None:
        # every architecture asked so far is evaluated or pending: the first population_size are random
        return self._draw_unseen() if len(self._seen) < self.population_size or not self.population_ else self._mutant()

    def _mutant(self) -> str | None:
        population = self.population_
        size = min(self.sample_size, len(population))
        contestants = self.rng_.choice(len(population), size=size, replace=False)
        parent = max((population[i] for i in contestants), key=lambda member: member[1])[0]
        within = "members" if self.restrict_mutations else "universe"
        children = [n for n in self.domain_.neighbours(parent, within=within) if n not in self._seen]
        if not children:
            return self._draw_unseen()
        return children[self.rng_.integers(len(children))]

    def _observe(self, arch: str, accuracy: float) -> None:
        self.population_.append((arch, accuracy))  # the oldest member leaves a full deque
