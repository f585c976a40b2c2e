import 'nbdime/lib/styles/variables.css';
import 'nbdime/lib/styles/common.css';
import 'nbdime/lib/styles/diff.css';
import './base.css';
import './diff.css';
import './runs.css';
import './compare.css';
import './panel.css';
