// Child process: runs one package's workload from a package folder and prints the
// results as JSON. A child per run keeps each package's module state apart.
import { PACKAGES } from './packages.js'

const [name, dir] = process.argv.slice(2)
const results = await PACKAGES[name].run(dir)
process.stdout.write(JSON.stringify(results))
