"""Write meshes/traced_bi_particle.step: a Bi particle traced from a TEM image as an outline
(here the two-lobed outline of a particle grown from two coalesced grains: two overlapping balls
of radius 13 nm whose centres are 9 nm apart) and its carbon coating, 5 nm thick all round (the
outline offset by 5 nm: the same balls of radius 18 nm). Solid 1 is the particle, solid 2 the
coated particle (coating and particle; the case lists the particle first so that it holds the
overlap). Coordinates in nm. Run: python meshes/make_traced_bi_particle.py
"""

from pathlib import Path

import gmsh


def main(path: Path = Path(__file__).with_name("traced_bi_particle.step")) -> None:
    gmsh.initialize(interruptible=False)
    gmsh.option.setNumber("General.Terminal", 0)
    gmsh.model.add("traced")
    occ = gmsh.model.occ
    lobes = [(3, occ.addSphere(0, 0, -4.5, 13.0)), (3, occ.addSphere(0, 0, 4.5, 13.0))]
    particle = occ.fuse(lobes[:1], lobes[1:])[0]
    coat = [(3, occ.addSphere(0, 0, -4.5, 18.0)), (3, occ.addSphere(0, 0, 4.5, 18.0))]
    coated = occ.fuse(coat[:1], coat[1:])[0]
    occ.synchronize()
    assert len(particle) == 1 and len(coated) == 1
    gmsh.write(str(path))
    gmsh.finalize()


if __name__ == "__main__":
    main()
