// Jest transforms the ES modules shipped by JupyterLab's dependencies with Babel.
module.exports = require('@jupyterlab/testing/lib/babel-config');
