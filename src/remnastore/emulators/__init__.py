"""Protocol-true emulators of the outside world, served over real HTTP on 127.0.0.1."""
