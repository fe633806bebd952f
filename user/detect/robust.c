/* robust — quickselect, median and the lag-difference noise; see robust.h. */
#include <math.h>
#include <stdlib.h>

#include "detect/robust.h"

double robust__kth(double *a, size_t n, size_t k)
{
	size_t lo = 0, hi = n - 1;

	while (lo < hi) {
		double pivot = a[lo + (hi - lo) / 2], t;
		size_t i = lo, j = hi;

		while (i <= j) {
			while (a[i] < pivot)
				i++;
			while (a[j] > pivot)
				j--;
			if (i > j)
				break;
			t = a[i];
			a[i++] = a[j];
			a[j] = t;
			if (j-- == 0)
				break;
		}
		if (j != (size_t)-1 && k <= j)
			hi = j;
		else if (k >= i)
			lo = i;
		else
			break;
	}
	return a[k];
}

double robust__median(double *a, size_t n)
{
	double hi, lo;

	if (!n)
		return 0;
	hi = robust__kth(a, n, n / 2);
	if (n & 1)
		return hi;
	/* after selection a[0, n/2) holds the lower half: its maximum */
	lo = a[0];
	for (size_t i = 1; i < n / 2; i++)
		lo = fmax(lo, a[i]);
	return 0.5 * (lo + hi);
}

double robust__diff_noise(const double *v, size_t n, size_t lag, double *trend)
{
	size_t m = lag && n > lag ? n - lag : 0;
	double *d, med, mad;

	if (trend)
		*trend = 0;
	if (m < 3 || !(d = malloc(m * sizeof(*d))))
		return 0;
	for (size_t i = 0; i < m; i++)
		d[i] = v[i + lag] - v[i];
	med = robust__median(d, m);
	for (size_t i = 0; i < m; i++)
		d[i] = fabs(d[i] - med);
	mad = robust__median(d, m);
	free(d);
	if (trend)
		*trend = med;
	return 1.4826 * mad;
}
